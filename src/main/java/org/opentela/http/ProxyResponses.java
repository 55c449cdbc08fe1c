package org.opentela.http;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.opentela.ApiError;
import org.opentela.SameThread;
import org.opentela.proxy.Headers;
import org.opentela.proxy.ProxyReply;

/**
 * Turns a proxied response into the client's HTTP response: status and end-to-end headers passed
 * through, plus {@code X-Computing-Node} and {@code X-Request-Id}. Streams are passed chunk by chunk as
 * they arrive; if a stream breaks or runs out of time after it started, an SSE stream ends with an error
 * event (a plain body is cut short: its bytes already reached the client).
 */
final class ProxyResponses {
  private ProxyResponses() {}

  /**
   * @param exchange    the request's metrics and span: told the stream's first byte and end
   * @param onStreamEnd called once when a streamed body ends, however it ends
   * @param timeLeft    how long a stream may still run before it is ended with an error
   */
  static HttpResponse render(String peerId, String requestId, ProxyReply reply, Duration timeLeft,
      Exchange exchange, Consumer<String> onStreamEnd) {
    exchange.reply(peerId, reply);
    if (reply instanceof ProxyReply.Complete c) {
      return response(c.status(), c.headers(), peerId, requestId,
          c.contentType() == null && c.body().length == 0 ? HttpEntities.EMPTY
              : HttpEntities.create(Headers.parseContentType(c.contentType()), c.body()));
    }
    if (!(reply instanceof ProxyReply.Streamed s)) {
      throw new IllegalArgumentException("not a response: " + reply);
    }
    String ct = s.contentType();
    boolean sse = Headers.isEventStream(ct);
    Source<ByteString, NotUsed> guarded = s.body().source()
        .completionTimeout(timeLeft)
        .map(exchange::chunk)
        .watchTermination((mat, done) -> {
          exchange.streamStarted();
          done.whenCompleteAsync((d, err) -> {
            exchange.streamEnded(err);
            onStreamEnd.accept(peerId);
          }, SameThread.EXECUTOR);
          return mat;
        });
    if (sse) {
      guarded = guarded.recover(new PFBuilder<Throwable, ByteString>()
          .matchAny(err -> sseError(err instanceof TimeoutException
              ? "the response did not finish within the request timeout" : "the worker stopped sending: " + err.getMessage()))
          .build());
    }
    ResponseEntity entity = s.contentLength() >= 0 && !sse
        ? HttpEntities.create(Headers.parseContentType(ct), s.contentLength(), guarded)
        : HttpEntities.createChunked(Headers.parseContentType(ct), guarded);
    return response(s.status(), s.headers(), peerId, requestId, entity);
  }

  private static HttpResponse response(int status, List<String> headers, String peerId, String requestId,
      ResponseEntity entity) {
    List<HttpHeader> h = Headers.toPekko(headers);
    h.add(RawHeader.create("X-Computing-Node", peerId));
    h.add(RawHeader.create("X-Request-Id", requestId));
    return HttpResponse.create().withStatus(status(status)).addHeaders(h).withEntity(entity);
  }

  /** An SSE event carrying an OpenAI-shaped error, for a stream that cannot finish. */
  static ByteString sseError(String why) {
    byte[] json = ApiErrors.body(ApiError.STREAM_INTERRUPTED.with(why));
    return ByteString.fromString("data: ").concat(ByteString.fromArrayUnsafe(json))
        .concat(ByteString.fromString("\n\n", StandardCharsets.UTF_8));
  }

  static StatusCode status(int code) {
    return StatusCodes.lookup(code).orElseGet(() -> StatusCodes.custom(code, "Status " + code, "", code >= 400, true));
  }
}
