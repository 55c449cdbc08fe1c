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
import org.opentela.RateLimitedLog;
import org.opentela.SameThread;
import org.opentela.proxy.Headers;
import org.opentela.proxy.ProxyReply;
import org.slf4j.LoggerFactory;

/**
 * Turns a proxied response into the client's HTTP response: status and end-to-end headers passed
 * through, plus {@code X-Computing-Node} and {@code X-Request-Id}. Streams are passed chunk by chunk as
 * they arrive; if a stream breaks or runs out of time after it started, an SSE stream ends with an error
 * event in plain words (a plain body is cut short: its bytes already reached the client).
 */
final class ProxyResponses {
  private static final RateLimitedLog warnings =
      new RateLimitedLog(LoggerFactory.getLogger(ProxyResponses.class), Duration.ofSeconds(10));
  private static final String DONE = "data: [DONE]";

  private ProxyResponses() {}

  /**
   * @param trace       the request's metrics and span: told the stream's first byte and end
   * @param onStreamEnd called once when a streamed body ends, however it ends
   * @param timeLeft    how long a stream may still run before it is ended with an error
   */
  static HttpResponse render(String peerId, String requestId, ProxyReply reply, Duration timeLeft,
      RequestTrace trace, Consumer<String> onStreamEnd) {
    return render(peerId, requestId, reply, timeLeft, trace, onStreamEnd, null);
  }

  /** {@code metered}: the accounting of a request under an API key (null: none). */
  static HttpResponse render(String peerId, String requestId, ProxyReply reply, Duration timeLeft,
      RequestTrace trace, Consumer<String> onStreamEnd, Metered metered) {
    trace.reply(peerId, reply);
    if (reply instanceof ProxyReply.Complete c) {
      if (metered != null) {
        metered.complete(c.status(), c.body());
      }
      HttpResponse r = response(c.status(), c.headers(), peerId, requestId,
          c.contentType() == null && c.body().length == 0 ? HttpEntities.EMPTY
              : HttpEntities.create(Headers.parseContentType(c.contentType()), c.body()));
      return metered == null ? r : r.addHeaders(metered.headers());
    }
    if (!(reply instanceof ProxyReply.Streamed s)) {
      throw new IllegalArgumentException("not a response: " + reply);
    }
    String ct = s.contentType();
    boolean sse = Headers.isEventStream(ct);
    Source<ByteString, NotUsed> body = s.body().source();
    if (metered != null) {
      body = metered.stream(s.status(), sse, body);
    }
    Source<ByteString, NotUsed> guarded = body
        .completionTimeout(timeLeft)
        .map(trace::chunk)
        .watchTermination((mat, done) -> {
          trace.streamStarted();
          done.whenCompleteAsync((d, err) -> {
            trace.streamEnded(err);
            onStreamEnd.accept(peerId);
          }, SameThread.EXECUTOR);
          return mat;
        });
    if (sse) {
      guarded = endedPlainly(guarded, requestId);
    }
    // A stream whose usage otela takes out changes length: it goes chunked.
    ResponseEntity entity = s.contentLength() >= 0 && !sse
        ? HttpEntities.create(Headers.parseContentType(ct), s.contentLength(), guarded)
        : HttpEntities.createChunked(Headers.parseContentType(ct), guarded);
    HttpResponse r = response(s.status(), s.headers(), peerId, requestId, entity);
    return metered == null ? r : r.addHeaders(metered.headers());
  }

  /**
   * An SSE body whose failure becomes one error event in plain words, or nothing if the client already
   * has the whole answer ({@code data: [DONE]} was sent: a transport hiccup after the end is not the
   * client's concern). The cause's own text (a stream ref's internal state, a class name) goes to the log
   * only.
   */
  static Source<ByteString, NotUsed> endedPlainly(Source<ByteString, NotUsed> sse, String requestId) {
    boolean[] done = {false}; // touched by this stream's stages only, one element at a time
    return sse.map(chunk -> {
      done[0] = done[0] || chunk.utf8String().contains(DONE);
      return chunk;
    }).recoverWithRetries(1, new PFBuilder<Throwable, Source<ByteString, NotUsed>>()
        .matchAny(err -> {
          // The cause names nodes' addresses and stream internals: the log has it, the client gets the request id.
          warnings.warn("stream-broken", "Stream of request " + requestId + " ended with a failure"
              + (done[0] ? " after [DONE] (the client has the whole answer)" : "") + ": " + err);
          return done[0] ? Source.empty() : Source.single(sseError(err instanceof TimeoutException
              ? "the response did not finish within the request timeout"
              : "the worker stopped sending before the response was complete; retry the request", requestId));
        })
        .build());
  }

  private static HttpResponse response(int status, List<String> headers, String peerId, String requestId,
      ResponseEntity entity) {
    List<HttpHeader> h = Headers.toPekko(headers);
    h.add(RawHeader.create("X-Computing-Node", peerId));
    h.add(RawHeader.create("X-Request-Id", requestId));
    return HttpResponse.create().withStatus(status(status)).addHeaders(h).withEntity(entity);
  }

  /** An SSE event carrying an OpenAI-shaped error, for a stream that cannot finish. */
  static ByteString sseError(String why, String requestId) {
    byte[] json = ApiErrors.body(ApiError.STREAM_INTERRUPTED.with(why), requestId);
    return ByteString.fromString("data: ").concat(ByteString.fromArrayUnsafe(json))
        .concat(ByteString.fromString("\n\n", StandardCharsets.UTF_8));
  }

  static StatusCode status(int code) {
    return StatusCodes.lookup(code).orElseGet(() -> StatusCodes.custom(code, "Status " + code, "", code >= 400, true));
  }
}
