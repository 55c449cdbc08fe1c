package org.opentela.proxy;

import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.opentela.ApiError;
import org.opentela.CborSerializable;

/** How a {@link ServiceProxy} answers a forwarded request. {@code headers} are name, value pairs. */
public sealed interface ProxyReply {
  long attemptId();

  /** A whole, small response. */
  record Complete(long attemptId, int status, List<String> headers, String contentType, byte[] body)
      implements ProxyReply, CborSerializable {}

  /** A streamed response (SSE, chunked, or large) for a requester on another node. */
  record Streamed(long attemptId, int status, List<String> headers, String contentType, long contentLength,
      SourceRef<ByteString> body) implements ProxyReply, CborSerializable {}

  /** A streamed response for a requester in this JVM: the backend's bytes, with no stream ref in between. */
  record LocalStreamed(long attemptId, int status, List<String> headers, String contentType, long contentLength,
      Source<ByteString, NotUsed> body) implements ProxyReply {}

  /** The request failed before any response: see {@link Outcome}. {@code message} is the client's. */
  record Failed(long attemptId, Outcome outcome, String message) implements ProxyReply, CborSerializable {
    /** The error the client gets when this failure is final. */
    public ApiError.Problem problem() {
      return new ApiError.Problem(outcome.error(), message);
    }
  }
}
