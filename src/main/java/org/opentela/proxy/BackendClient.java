package org.opentela.proxy;

import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.RequestEntityAcceptances;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.StreamTcpException;
import org.apache.pekko.stream.SystemMaterializer;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.apache.pekko.util.ByteString;
import org.opentela.RateLimitedLog;
import org.opentela.SameThread;
import org.slf4j.LoggerFactory;
import org.opentela.telemetry.Tracing;
import scala.concurrent.ExecutionContextExecutor;

/**
 * Calls a local HTTP server (a backend, or this node's own API) through Pekko HTTP's pooled keep-alive
 * client, and turns the response into a {@link ProxyReply}: small bodies whole, everything else as a
 * stream that starts as soon as the headers arrive. Thread-safe; no actor state. Continuations run on
 * the completing thread ({@link SameThread}).
 *
 * <p>An exchange can be {@linkplain Exchange#abort aborted} before its response arrives, which closes the
 * backend connection, so that an LLM stops generating for a client that left. Pekko's pool offers no way
 * to cancel a request it has sent; but a request whose body stream fails makes the pool close that
 * connection. So a request body is sent as its bytes followed by a stream that stays open, holding the
 * request, until the response headers arrive (the pool reads a response while the request is still open):
 * then it ends normally, and the connection goes back to the pool; on abort, or at the first-byte timeout,
 * it fails. Requests without a body (GET) cannot be held this way and run to their end.
 */
final class BackendClient {
  private static final RateLimitedLog warnings =
      new RateLimitedLog(LoggerFactory.getLogger(BackendClient.class), Duration.ofSeconds(10));

  /**
   * How long a stream's headers wait for its first chunk to go along. The case this is for, a backend that
   * sends both at once, has it here within a fraction of a millisecond; a backend that sends its headers
   * first has its reply (and so the head's subscription to the ref) delayed by this much, which must stay
   * well inside a time to first token. The first chunk goes inline only up to {@link #FIRST_CHUNK_MAX},
   * well inside Artery's frame.
   */
  static final Duration FIRST_CHUNK_WINDOW = Duration.ofMillis(2);
  static final int FIRST_CHUNK_MAX = 64 * 1024;

  private final Duration firstChunkWindow;
  private final Http http;
  private final Materializer materializer;
  private final Duration firstByteTimeout;
  private final int inlineLimit;
  private final Scheduler scheduler;
  private final ExecutionContextExecutor executor;
  private final Tracing tracing;

  BackendClient(ActorSystem<?> system, Duration firstByteTimeout, int inlineLimit, Tracing tracing) {
    this(system, firstByteTimeout, inlineLimit, tracing, FIRST_CHUNK_WINDOW);
  }

  /** {@code firstChunkWindow}: see {@link #FIRST_CHUNK_WINDOW} (tests on a busy machine widen it). */
  BackendClient(ActorSystem<?> system, Duration firstByteTimeout, int inlineLimit, Tracing tracing,
      Duration firstChunkWindow) {
    this.firstChunkWindow = firstChunkWindow;
    this.tracing = tracing;
    this.http = Http.get(system);
    this.scheduler = system.scheduler();
    this.executor = system.executionContext();
    this.materializer = SystemMaterializer.get(system).materializer();
    this.firstByteTimeout = firstByteTimeout;
    this.inlineLimit = inlineLimit;
  }

  /** Why an exchange ended before its response: its requester went away, or gave up. */
  static final class Aborted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Aborted(String why) {
      super(why, null, false, false);
    }
  }

  /** One request to the backend, from sending to its reply. */
  static final class Exchange {
    private final CompletableFuture<HttpResponse> response = new CompletableFuture<>();
    /** Ends the held request body: normally once the response headers arrived, with a failure to abort. */
    private final CompletableFuture<ByteString> hold = new CompletableFuture<>();
    private CompletionStage<ProxyReply> reply;

    /** The reply; never fails (failures are {@link ProxyReply.Failed}). */
    CompletionStage<ProxyReply> reply() {
      return reply;
    }

    /**
     * Gives up on this exchange: if its response has not arrived, the backend connection is closed and the
     * reply is {@link Outcome#CANCELLED}. A response already there is left alone (its stream ends when its
     * reader cancels it).
     */
    void abort(String why) {
      Aborted a = new Aborted(why);
      if (response.completeExceptionally(a)) {
        hold.completeExceptionally(a);
      }
    }
  }

  /**
   * Sends {@code r} to {@code baseUrl}. {@code ended} runs once when the exchange is over: with a whole reply
   * or a failure, or, for a {@link ProxyReply.Streamed}, when its stream ends however it ends.
   */
  Exchange call(long attemptId, String baseUrl, ProxyRequest r, boolean replyIsLocal, Runnable ended) {
    Exchange x = new Exchange();
    BackendSpan span = tracing.enabled() ? BackendSpan.start(tracing, r, baseUrl) : null;
    ProxyRequest request = span == null ? r : span.carry(r);
    x.reply = send(x, attemptId, baseUrl, request, replyIsLocal, ended, span).thenApplyAsync(reply -> {
      if (!(reply instanceof ProxyReply.Streamed)) {
        if (span != null) {
          if (reply instanceof ProxyReply.Complete c) {
            span.complete(c.body().length);
          } else {
            span.failed((ProxyReply.Failed) reply);
          }
        }
        ended.run();
      }
      return reply;
    }, SameThread.EXECUTOR);
    return x;
  }

  private CompletionStage<ProxyReply> send(Exchange x, long attemptId, String baseUrl, ProxyRequest r,
      boolean replyIsLocal, Runnable streamEnded, BackendSpan span) {
    HttpRequest request;
    try {
      request = toPekko(baseUrl, r, x.hold);
    } catch (RuntimeException e) {
      warnings.warn("bad-request", "request " + r.requestId() + ": cannot build the request to " + baseUrl + ": " + e);
      return CompletableFuture.completedFuture(Outcome.PROXY_ERROR.failed(attemptId, "the worker could not build the"
          + " backend request; its log has the details under request id " + r.requestId()));
    }
    CompletableFuture<HttpResponse> response = x.response;
    // A plain CompletableFuture in front of Pekko's, so that the steps after it run on the completing
    // thread (see SameThread).
    long sent = System.nanoTime();
    http.singleRequest(request).whenCompleteAsync((resp, err) -> {
      if (err != null) {
        response.completeExceptionally(err);
        x.hold.completeExceptionally(err);
      } else if (response.complete(resp)) {
        x.hold.complete(ByteString.emptyByteString()); // the request ends; its connection goes back to the pool
      } else {
        resp.discardEntityBytes(materializer); // too late: free the pooled connection
      }
    }, SameThread.EXECUTOR);
    // Pekko's scheduler, not orTimeout: the JDK's delay thread is woken to queue and to cancel each request's
    // timer (two context switches per request), Pekko's timer wheel picks new timers up on its next tick.
    Cancellable timer = scheduler.scheduleOnce(firstByteTimeout, () -> {
      TimeoutException t = new TimeoutException();
      if (response.completeExceptionally(t)) {
        x.hold.completeExceptionally(t); // the backend stops working on a request nobody waits for
      }
    }, executor);
    return response
        .whenComplete((resp, err) -> timer.cancel())
        .thenCompose(resp -> toReply(attemptId, resp, replyIsLocal, streamEnded, System.nanoTime() - sent, span))
        .exceptionally(err -> failed(attemptId, baseUrl, r, err));
  }

  private static HttpRequest toPekko(String baseUrl, ProxyRequest r, CompletableFuture<ByteString> hold) {
    String uri = baseUrl + r.path() + (r.query() == null || r.query().isEmpty() ? "" : "?" + r.query());
    RequestEntity entity;
    if (r.contentType() == null && r.contentLength() == 0) {
      entity = HttpEntities.EMPTY;
    } else {
      var ct = Headers.parseContentType(r.contentType());
      if (r.contentLength() == 0) {
        entity = HttpEntities.create(ct, new byte[0]);
      } else {
        Source<ByteString, ?> bytes = r.bodyRef() != null ? r.bodyRef().getSource().concat(Source.completionStage(hold))
            : Source.fromGraph(new HeldBody(ByteString.fromArrayUnsafe(r.body() == null ? new byte[0] : r.body()), hold));
        entity = HttpEntities.create(ct, r.contentLength(), bytes);
      }
    }
    List<String> headers = r.headers();
    if (r.service() == null) {
      headers = new ArrayList<>(headers);
      LocalHops.addTo(headers, r.hops());
    }
    return HttpRequest.create(uri)
        .withMethod(HttpMethods.lookup(r.method()).orElseGet(() -> HttpMethods.custom(r.method(), false, false,
            RequestEntityAcceptances.Tolerated)))
        .addHeaders(Headers.toPekko(headers))
        .withEntity(entity);
  }

  private CompletionStage<ProxyReply> toReply(long attemptId, HttpResponse resp, boolean local, Runnable streamEnded,
      long backendNanos, BackendSpan span) {
    ResponseEntity e = resp.entity();
    int status = resp.status().intValue();
    if (span != null) {
      span.headers(status);
    }
    var headers = Headers.responseHeaders(resp.getHeaders());
    String ct = Headers.contentType(e);
    OptionalLong len = e.getContentLengthOption();
    if (e instanceof HttpEntity.Strict strict && (local || strict.getData().size() <= inlineLimit)) {
      return CompletableFuture.completedFuture(
          new ProxyReply.Complete(attemptId, status, headers, ct, strict.getData().toArrayUnsafe(), backendNanos));
    }
    if (!Headers.isEventStream(ct) && len.isPresent() && len.getAsLong() <= inlineLimit) {
      return e.toStrict(firstByteTimeout.toMillis(), materializer)
          .thenApplyAsync(s -> (ProxyReply) new ProxyReply.Complete(attemptId, status, headers, ct,
              s.getData().toArrayUnsafe(), backendNanos), SameThread.EXECUTOR);
    }
    @SuppressWarnings("unchecked")
    Source<ByteString, ?> data = span == null ? e.getDataBytes() : e.getDataBytes().map(span::chunk);
    Source<ByteString, NotUsed> bytes = (Source<ByteString, NotUsed>) (Source<ByteString, ?>) data
        .watchTermination((m, done) -> {
          done.whenCompleteAsync((d, err) -> {
            if (span != null) {
              span.streamEnded(err);
            }
            streamEnded.run();
          }, SameThread.EXECUTOR);
          return NotUsed.getInstance();
        });
    long length = len.isPresent() ? len.getAsLong() : -1;
    if (local) {
      return CompletableFuture.completedFuture(new ProxyReply.Streamed(attemptId, status, headers, ct, length,
          StreamBody.of(bytes, true, materializer), backendNanos));
    }
    // For another node: the first chunk, if it comes with the headers, travels with them (FirstChunk).
    Pair<CompletionStage<ByteString>, SourceRef<ByteString>> split = bytes
        .viaMat(new FirstChunk(firstChunkWindow, FIRST_CHUNK_MAX), Keep.right())
        .toMat(StreamRefs.sourceRef(), Keep.both())
        .run(materializer);
    return split.first().thenApplyAsync(head -> new ProxyReply.Streamed(attemptId, status, headers, ct, length,
        StreamBody.remote(head, split.second()), backendNanos), SameThread.EXECUTOR);
  }

  /**
   * The reply for a failed exchange. Its message goes to the client: it names the service, never the
   * backend's address or an exception; those go to this node's log under the request id.
   */
  private ProxyReply failed(long attemptId, String baseUrl, ProxyRequest r, Throwable err) {
    Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    String what = r.service() == null ? "this node's API" : "the backend of service '" + r.service() + "'";
    if (cause instanceof Aborted a) {
      return Outcome.CANCELLED.failed(attemptId, a.getMessage());
    }
    if (cause instanceof TimeoutException) {
      return Outcome.FIRST_BYTE_TIMEOUT.failed(attemptId, what + " sent no response headers within "
          + firstByteTimeout.toMillis() + " ms (--routing.first_byte_timeout)");
    }
    warnings.warn("backend-failed", "request " + r.requestId() + ": " + baseUrl + r.path() + " failed: " + cause);
    if (cause instanceof StreamTcpException || cause instanceof ConnectException
        || String.valueOf(cause.getMessage()).contains("Connection")) {
      return Outcome.BACKEND_UNREACHABLE.failed(attemptId, what, r.requestId());
    }
    return Outcome.PROXY_ERROR.failed(attemptId, "the worker could not call " + what + "; its log has the details"
        + " under request id " + r.requestId());
  }
}
