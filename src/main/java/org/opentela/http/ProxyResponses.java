package org.opentela.http;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
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
  private static final Map<String, ContentType> CONTENT_TYPES = new ConcurrentHashMap<>();

  private ProxyResponses() {}

  /**
   * @param onStreamEnd called once when a streamed body ends, however it ends
   * @param timeLeft    how long a stream may still run before it is ended with an error
   */
  static HttpResponse render(String peerId, String requestId, ProxyReply reply, Duration timeLeft,
      RequestMetrics metrics, Consumer<String> onStreamEnd) {
    if (reply instanceof ProxyReply.Complete c) {
      return response(c.status(), c.headers(), peerId, requestId,
          c.contentType() == null && c.body().length == 0 ? HttpEntities.EMPTY
              : HttpEntities.create(contentType(c.contentType()), c.body()));
    }
    int status;
    List<String> headers;
    String ct;
    long length;
    Source<ByteString, NotUsed> body;
    if (reply instanceof ProxyReply.Streamed s) {
      status = s.status();
      headers = s.headers();
      ct = s.contentType();
      length = s.contentLength();
      body = s.body().getSource();
    } else if (reply instanceof ProxyReply.LocalStreamed s) {
      status = s.status();
      headers = s.headers();
      ct = s.contentType();
      length = s.contentLength();
      body = s.body();
    } else {
      throw new IllegalArgumentException("not a response: " + reply);
    }
    boolean sse = ct != null && ct.startsWith("text/event-stream");
    Source<ByteString, NotUsed> guarded = body
        .completionTimeout(timeLeft)
        .watchTermination((mat, done) -> {
          metrics.streamStarted();
          // On the completing thread: a plain whenComplete on Pekko's CompletionStage runs on the common pool.
          done.whenCompleteAsync((d, err) -> {
            metrics.streamEnded();
            onStreamEnd.accept(peerId);
          }, SameThread.EXECUTOR);
          return mat;
        });
    if (sse) {
      guarded = guarded.recover(new PFBuilder<Throwable, ByteString>()
          .matchAny(err -> sseError(err instanceof java.util.concurrent.TimeoutException
              ? "the response did not finish within the request timeout" : "the worker stopped sending: " + err.getMessage()))
          .build());
    }
    ResponseEntity entity = length >= 0 && !sse
        ? HttpEntities.create(contentType(ct), length, guarded)
        : HttpEntities.createChunked(contentType(ct), guarded);
    return response(status, headers, peerId, requestId, entity);
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

  static ContentType contentType(String s) {
    if (s == null) {
      return ContentTypes.APPLICATION_OCTET_STREAM;
    }
    ContentType cached = CONTENT_TYPES.get(s);
    if (cached != null) {
      return cached;
    }
    ContentType parsed;
    try {
      parsed = ContentTypes.parse(s);
    } catch (RuntimeException e) {
      parsed = ContentTypes.APPLICATION_OCTET_STREAM;
    }
    if (CONTENT_TYPES.size() < 64) { // backends use a handful; never grow without bound
      CONTENT_TYPES.put(s, parsed);
    }
    return parsed;
  }
}
