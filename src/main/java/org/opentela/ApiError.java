package org.opentela;

import java.util.Locale;

/**
 * Every error otela itself answers: its HTTP status, the OpenAI error {@code type} and {@code code}, and a
 * message template ({@link String#format} placeholders) that says what happened and what to do. Rendered
 * as {@code {"error":{"message","type","code"}}} by {@code http/ApiErrors}; README.md's error table lists
 * each entry (checked by a test). Errors of a backend (a 4xx/5xx from vLLM itself) pass through and are
 * not here.
 *
 * <p>A new error is one line here, used by the code path that answers it.
 */
public enum ApiError {
  // 4xx: the request is wrong; the message says how to fix it.
  INVALID_JSON(400, Type.INVALID_REQUEST, "invalid_json",
      "Invalid JSON: %s. A body sent as JSON must be one JSON object"),
  INVALID_SERVICE_NAME(400, Type.INVALID_REQUEST, "invalid_service_name",
      "Invalid service name '%s' (expected: letters, digits, '.', '_' or '-', at most 80, e.g. llm)"),
  REQUEST_BODY_UNREADABLE(400, Type.INVALID_REQUEST, "request_body_unreadable",
      "The request body could not be read: %s"),
  INVALID_REQUEST(400, Type.INVALID_REQUEST, "invalid_request", "Invalid request: %s"),
  NOT_FOUND(404, Type.INVALID_REQUEST, "not_found", "No endpoint %s %s. OpenAI requests go to"
      + " /v1/service/<service>/v1/..., e.g. /v1/service/llm/v1/chat/completions; the node table is at /v1/dnt/table"),
  SERVICE_NOT_FOUND(404, Type.INVALID_REQUEST, "service_not_found",
      "No node offers the service '%s'. Services offered now: %s. LLM requests go to /v1/service/llm/..."),
  MODEL_NOT_FOUND(404, Type.INVALID_REQUEST, "model_not_found",
      "The model '%s' does not exist in this pool: no worker serves it. Available models: %s. Use one of those;"
      + " to let a worker that accepts any model answer instead, send the header X-Otela-Fallback: 2"),
  PEER_NOT_FOUND(404, Type.INVALID_REQUEST, "peer_not_found",
      "No node with peer id %s in the table; see GET /v1/dnt/table for the peers this node knows"),
  METHOD_NOT_ALLOWED(405, Type.INVALID_REQUEST, "method_not_allowed", "%s is not allowed on %s"),
  NOT_ACCEPTABLE(406, Type.INVALID_REQUEST, "not_acceptable",
      "This endpoint answers %s only; accept that type (or send no Accept header)"),
  REQUEST_TOO_LARGE(413, Type.INVALID_REQUEST, "request_too_large", "The request body (%s) is larger than the"
      + " limit of %d bytes; send a smaller request, or raise the limit with --http.max_body"),

  // 5xx: otela or a worker failed.
  INTERNAL_ERROR(500, Type.SERVER, "internal_error", "otela failed to handle this request (%s); see the node's log"),
  PROXY_ERROR(502, Type.SERVER, "proxy_error", "Forwarding the request failed: %s"),
  BACKEND_UNREACHABLE(502, Type.SERVER, "backend_unreachable", "The backend at %s is not answering: %s"),
  NODE_UNREACHABLE(502, Type.SERVER, "node_unreachable", "Node %s became unreachable before it answered"),
  ALL_PROVIDERS_FAILED(502, Type.SERVER, "all_providers_failed",
      "Every worker tried for service '%s' failed (%d tried); last: %s"),
  STREAM_INTERRUPTED(502, Type.SERVER, "stream_interrupted", "The response stream was cut short: %s"),
  SERVICE_UNAVAILABLE(503, Type.SERVER, "service_unavailable", "Node %s offers no service '%s' (it offers %s)"),
  MODEL_NOT_AVAILABLE(503, Type.SERVER, "model_not_available", "The model '%s' of service '%s' is served in this"
      + " pool, but none of its workers can take a request now (starting, unhealthy, draining or unreachable)."
      + " Retry shortly, or use a model available now: %s."),
  NO_MATCHING_PROVIDER(503, Type.SERVER, "no_matching_provider", "No worker of service '%s' matches this request."
      + " Name a model with the \"model\" field (available: %s), send an X-Otela-Identity-Group: key=value header,"
      + " or X-Otela-Fallback: 1 or 2 to widen the match."),
  PEER_UNREACHABLE(503, Type.SERVER, "peer_unreachable", "Peer %s is in the table but not connected to this node;"
      + " try again when it is back, or route by service with /v1/service/..."),
  TIMEOUT(504, Type.SERVER, "timeout", "No response in time: %s"),
  LOOP_DETECTED(508, Type.SERVER, "loop_detected",
      "This request went through /v1/p2p/ %d times; a /v1/p2p/ path must not point back to itself");

  /** The OpenAI error {@code type}s otela answers with. */
  public enum Type {
    INVALID_REQUEST("invalid_request_error"),
    SERVER("server_error");

    private final String wire;

    Type(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }
  }

  /** An error with its message filled in: what a client gets. */
  public record Problem(ApiError error, String message) {
    public Problem {
      if (error == null || message == null) {
        throw new IllegalArgumentException("error: " + error + ", message: " + message + " (expected: both set)");
      }
    }
  }

  private final int status;
  private final Type type;
  private final String code;
  private final String template;

  ApiError(int status, Type type, String code, String template) {
    this.status = status;
    this.type = type;
    this.code = code;
    this.template = template;
  }

  public int status() {
    return status;
  }

  /** The OpenAI error {@code type}, e.g. {@code invalid_request_error}. */
  public String type() {
    return type.wire();
  }

  /** The {@code error.code} of the body, e.g. {@code model_not_available}. */
  public String code() {
    return code;
  }

  /** This error with its template filled in with {@code args}. */
  public Problem with(Object... args) {
    return new Problem(this, String.format(Locale.ROOT, template, args));
  }
}
