package org.opentela.proxy;

import java.util.List;
import org.opentela.ApiError;
import org.opentela.CborSerializable;

/** How a {@link ServiceProxy} answers a forwarded request. {@code headers} are name, value pairs. */
public sealed interface ProxyReply {
  long attemptId();

  /**
   * A whole, small response. {@code backendNanos}: how long the backend took to its response headers, as its
   * node measured it (-1 when unknown), so the requester can tell otela's own share of the time.
   */
  record Complete(long attemptId, int status, List<String> headers, String contentType, byte[] body,
      long backendNanos) implements ProxyReply, CborSerializable {
    public Complete(long attemptId, int status, List<String> headers, String contentType, byte[] body) {
      this(attemptId, status, headers, contentType, body, -1);
    }
  }

  /**
   * A streamed response (SSE, chunked, or large): the headers now, the bytes as the backend writes them.
   * {@code contentLength} is -1 when unknown; {@code backendNanos} as in {@link Complete}.
   */
  record Streamed(long attemptId, int status, List<String> headers, String contentType, long contentLength,
      StreamBody body, long backendNanos) implements ProxyReply, CborSerializable {
    public Streamed(long attemptId, int status, List<String> headers, String contentType, long contentLength,
        StreamBody body) {
      this(attemptId, status, headers, contentType, contentLength, body, -1);
    }
  }

  /** The request failed before any response: see {@link Outcome}. {@code message} is the client's. */
  record Failed(long attemptId, Outcome outcome, String message) implements ProxyReply, CborSerializable {
    /** The error the client gets when this failure is final. */
    public ApiError.Problem problem() {
      return new ApiError.Problem(outcome.error(), message);
    }
  }
}
