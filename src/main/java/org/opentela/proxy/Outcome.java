package org.opentela.proxy;

/**
 * Every way a proxied request can fail, with the status the client gets and whether the router may try
 * another provider (only when nothing reached the client yet, and the failure says nothing about the
 * request itself).
 */
public enum Outcome {
  /** The target node no longer offers the service (withdrawn, crashed, or never had it). */
  NO_LOCAL_SERVICE(503, true, "service_unavailable"),
  /** The backend refused the connection or could not be reached from its own node. */
  BACKEND_UNREACHABLE(502, true, "backend_unreachable"),
  /** The target node became unreachable or left before it answered. */
  NODE_UNREACHABLE(502, true, "node_unreachable"),
  /** The backend sent no response headers within the first-byte timeout. */
  FIRST_BYTE_TIMEOUT(504, false, "timeout"),
  /** The proxy layer failed in an unexpected way. */
  PROXY_ERROR(502, true, "proxy_error");

  private final int status;
  private final boolean retryable;
  private final String code;

  Outcome(int status, boolean retryable, String code) {
    this.status = status;
    this.retryable = retryable;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public boolean retryable() {
    return retryable;
  }

  /** The {@code error.code} of the OpenAI-shaped error body. */
  public String code() {
    return code;
  }
}
