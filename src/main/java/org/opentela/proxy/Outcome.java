package org.opentela.proxy;

import org.opentela.ApiError;

/**
 * Every way a proxied request can fail, with the error the client gets and whether the router may try
 * another provider (only when nothing reached the client yet, and the failure says nothing about the
 * request itself).
 */
public enum Outcome {
  /** The target node no longer offers the service (withdrawn, crashed, or never had it). */
  NO_LOCAL_SERVICE(ApiError.SERVICE_UNAVAILABLE, true),
  /** The backend refused the connection or could not be reached from its own node. */
  BACKEND_UNREACHABLE(ApiError.BACKEND_UNREACHABLE, true),
  /** The target node became unreachable or left before it answered. */
  NODE_UNREACHABLE(ApiError.NODE_UNREACHABLE, true),
  /** The backend sent no response headers within the first-byte timeout. */
  FIRST_BYTE_TIMEOUT(ApiError.TIMEOUT, false),
  /** The proxy layer failed in an unexpected way. */
  PROXY_ERROR(ApiError.PROXY_ERROR, true),
  /** The requester cancelled (its client left, or it gave up waiting): nobody reads this reply. */
  CANCELLED(ApiError.CLIENT_CLOSED_REQUEST, false);

  private final ApiError error;
  private final boolean retryable;

  Outcome(ApiError error, boolean retryable) {
    this.error = error;
    this.retryable = retryable;
  }

  /** The error the client gets when this outcome is final. */
  public ApiError error() {
    return error;
  }

  public boolean retryable() {
    return retryable;
  }

  /** A {@link ProxyReply.Failed} for attempt {@code attemptId}, its message filled in from {@code args}. */
  public ProxyReply.Failed failed(long attemptId, Object... args) {
    return new ProxyReply.Failed(attemptId, this, error.with(args).message());
  }
}
