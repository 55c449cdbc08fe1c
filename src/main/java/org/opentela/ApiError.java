package org.opentela;

import java.util.Collection;
import java.util.Iterator;
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
  MISSING_API_KEY(401, Type.INVALID_REQUEST, "missing_api_key", "This node requires an API key: send"
      + " Authorization: Bearer <key> (an OpenAI SDK's api_key). The pool's admin creates keys with 'otela keys create'"),
  INVALID_API_KEY(401, Type.INVALID_REQUEST, "invalid_api_key", "Incorrect API key provided (%s). Ask the pool's"
      + " admin for a valid key ('otela keys list' shows which exist)"),
  ADMIN_KEY_REQUIRED(403, Type.INVALID_REQUEST, "admin_key_required", "%s %s needs the admin key; an API key reaches"
      + " only the inference paths of a service (%s)"),
  MODEL_NOT_ALLOWED(403, Type.INVALID_REQUEST, "model_not_allowed",
      "The API key '%s' may not use the model '%s'; it may use: %s"),
  MODEL_REQUIRED(400, Type.INVALID_REQUEST, "model_required", "This request names no model: send a \"model\""
      + " field (a string) with one of %s, or an X-Otela-Identity-Group: key=value header, or X-Otela-Fallback: 2"
      + " to accept any worker that takes all requests"),
  INVALID_MODEL(400, Type.INVALID_REQUEST, "invalid_model", "The \"model\" field must be a string naming a model,"
      + " not %s; available: %s"),
  CORS_ORIGIN_NOT_ALLOWED(403, Type.INVALID_REQUEST, "cors_origin_not_allowed", "Requests from the origin %s are"
      + " not allowed; the node's operator can list it in --http.cors_origins"),
  NOT_FOUND(404, Type.INVALID_REQUEST, "not_found", "No endpoint %s %s. OpenAI requests go to"
      + " /v1/service/<service>/v1/..., e.g. /v1/service/llm/v1/chat/completions; the node table is at /v1/dnt/table"),
  SERVICE_NOT_FOUND(404, Type.INVALID_REQUEST, "service_not_found",
      "No node offers the service '%s'. Services offered now: %s. LLM requests go to /v1/service/llm/..."),
  MODEL_NOT_FOUND(404, Type.INVALID_REQUEST, "model_not_found",
      "The model '%s' does not exist in this pool: no worker serves it. Available models: %s. Use one of those;"
      + " to let a worker that accepts any model answer instead, send the header X-Otela-Fallback: 2"),
  PEER_NOT_FOUND(404, Type.INVALID_REQUEST, "peer_not_found",
      "No node with peer id %s in the table; see GET /v1/dnt/table for the peers this node knows"),
  KEY_NOT_FOUND(404, Type.INVALID_REQUEST, "key_not_found",
      "No active API key with the id or name '%s'; 'otela keys list' shows the keys"),
  AUTH_DISABLED(404, Type.INVALID_REQUEST, "auth_disabled", "API keys are off on this node, so %s is not served:"
      + " start the node with OTELA_ADMIN_KEY=<secret> or --auth.admin_key_file FILE to turn them on"),
  METHOD_NOT_ALLOWED(405, Type.INVALID_REQUEST, "method_not_allowed", "%s is not allowed on %s"),
  NOT_ACCEPTABLE(406, Type.INVALID_REQUEST, "not_acceptable",
      "This endpoint answers %s only; accept that type (or send no Accept header)"),
  KEY_NAME_TAKEN(409, Type.INVALID_REQUEST, "key_name_taken", "An active API key is already named '%s' (id %s);"
      + " revoke it first or choose another name"),
  REQUEST_TOO_LARGE(413, Type.INVALID_REQUEST, "request_too_large", "The request body (%s) is larger than the"
      + " limit of %d bytes; send a smaller request, or raise the limit with --http.max_body"),
  RATE_LIMIT_EXCEEDED(429, Type.INVALID_REQUEST, "rate_limit_exceeded",
      "Rate limit reached for the API key '%s' on %s: limit %d, used %d. Try again in %s"),
  TOO_MANY_AUTH_FAILURES(429, Type.INVALID_REQUEST, "too_many_auth_failures", "Too many requests with a wrong or"
      + " missing API key from %s (more than %d in a minute); try again in %d s with a valid key"),

  // Closed pools: enrolment and renewal of node certificates (POST /v1/pool/enrol, /v1/pool/renew).
  INVALID_ENROLMENT_REQUEST(400, Type.INVALID_REQUEST, "invalid_enrolment_request",
      "Invalid enrolment request: %s. otela nodes send these themselves: join with --join-token"),
  ENROLMENT_REQUEST_TOO_LARGE(413, Type.INVALID_REQUEST, "enrolment_request_too_large",
      "The enrolment request is larger than %d bytes; it is a small JSON object, sent by an otela node"),
  JOIN_TOKEN_REJECTED(403, Type.INVALID_REQUEST, "join_token_rejected",
      "Enrolment refused: %s. Copy the pool's current join token again from 'otela token show' on the head"),
  JOIN_TOKEN_ROTATED(403, Type.INVALID_REQUEST, "join_token_rotated", "This join token (id %s) is no longer valid:"
      + " the pool's token was rotated. Get the current one with 'otela token show' on the head"),
  PEER_REVOKED(403, Type.INVALID_REQUEST, "peer_revoked", "Peer %s was revoked from this pool and cannot join it"
      + " again; a new node needs an identity of its own (another --seed, or none)"),
  P2P_PATH_NOT_ALLOWED(403, Type.INVALID_REQUEST, "p2p_path_not_allowed", "%s %s cannot be reached through"
      + " /v1/p2p/ in a closed pool: %s. There /v1/p2p/{peer}/ reaches only a node's services"
      + " (/v1/_service/{service}/...) and its status (GET /v1/health, /v1/dnt/table, /v1/dnt/peers, /metrics)"),
  CERTIFICATE_REJECTED(403, Type.INVALID_REQUEST, "certificate_rejected", "Renewal refused: %s"),
  PEER_ID_TAKEN(409, Type.INVALID_REQUEST, "peer_id_taken", "Peer id %s is already enrolled with another key (was"
      + " this node's data directory lost, or does another machine use the same --seed?); give this node an"
      + " identity of its own: another --seed, or none"),
  REQUEST_HEADER_TIMEOUT(408, Type.INVALID_REQUEST, "request_header_timeout", "The request's headers did not"
      + " arrive within %d ms (--http.header_timeout); the connection is closed"),
  URI_TOO_LONG(414, Type.INVALID_REQUEST, "uri_too_long", "The request's URI is longer than %d characters"),
  TOO_MANY_CONNECTIONS_FROM_ADDRESS(429, Type.INVALID_REQUEST, "too_many_connections_from_address",
      "%d connections from your address are open, the limit (--http.max_connections_per_address); reuse"
      + " connections (HTTP keep-alive) or close some, then try again"),
  HEADERS_TOO_LARGE(431, Type.INVALID_REQUEST, "request_headers_too_large", "The request's headers are too large: %s"),
  // Never read by anyone: the client is gone. Counted in /metrics, as nginx's 499.
  CLIENT_CLOSED_REQUEST(499, Type.INVALID_REQUEST, "client_closed_request", "The client closed its connection"
      + " before the response; the request was cancelled"),

  // 5xx: otela or a worker failed.
  INTERNAL_ERROR(500, Type.SERVER, "internal_error",
      "otela failed to handle this request; the node's log has the details under request id %s"),
  NOT_IMPLEMENTED(501, Type.INVALID_REQUEST, "not_implemented", "Not supported by this server: %s"),
  PROXY_ERROR(502, Type.SERVER, "proxy_error", "Forwarding the request failed: %s"),
  BACKEND_UNREACHABLE(502, Type.SERVER, "backend_unreachable",
      "Could not reach %s; the worker's log has the details under request id %s"),
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
  ENROLMENT_UNAVAILABLE(503, Type.SERVER, "enrolment_unavailable",
      "This head could not read its pool directory (%s); see its log"),
  TOO_MANY_CONNECTIONS(503, Type.SERVER, "too_many_connections", "This node has %d open connections, its limit"
      + " (--http.max_connections); try again shortly"),
  TIMEOUT(504, Type.SERVER, "timeout", "No response in time: %s"),
  HTTP_VERSION_NOT_SUPPORTED(505, Type.INVALID_REQUEST, "http_version_not_supported",
      "This server speaks HTTP/1.0 and HTTP/1.1 only: %s"),
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

  /**
   * This error with its template filled in with {@code args}. Text arguments are cut to {@value #MAX_TEXT}
   * characters and collections to their first {@value #MAX_ITEMS} items: a message echoes what a client
   * sent (a 10 KB model name) or lists what a pool has (a thousand models), and must stay readable.
   */
  public Problem with(Object... args) {
    Object[] shown = new Object[args.length];
    for (int i = 0; i < args.length; i++) {
      shown[i] = shown(args[i]);
    }
    return new Problem(this, String.format(Locale.ROOT, template, shown));
  }

  /** Longest text argument shown whole in a message. */
  public static final int MAX_TEXT = 200;
  /** Most items of a collection argument shown in a message. */
  public static final int MAX_ITEMS = 20;

  private static Object shown(Object arg) {
    if (arg instanceof CharSequence text) {
      return cut(text);
    }
    if (arg instanceof Collection<?> items) {
      StringBuilder b = new StringBuilder("[");
      Iterator<?> it = items.iterator();
      for (int n = 0; it.hasNext() && n < MAX_ITEMS; n++) {
        b.append(n == 0 ? "" : ", ").append(cut(String.valueOf(it.next())));
      }
      if (items.size() > MAX_ITEMS) {
        b.append(", ... ").append(items.size() - MAX_ITEMS).append(" more");
      }
      return b.append(']').toString();
    }
    return arg;
  }

  /** {@code text}, or its first {@value #MAX_TEXT} characters and how long it was. */
  public static String cut(CharSequence text) {
    if (text.length() <= MAX_TEXT) {
      return text.toString();
    }
    return text.subSequence(0, MAX_TEXT) + "... (" + text.length() + " characters)";
  }
}
