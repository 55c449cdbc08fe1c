package org.opentela.proxy;

import java.time.Duration;
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
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.StreamTcpException;
import org.apache.pekko.stream.SystemMaterializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.opentela.SameThread;
import org.opentela.telemetry.Tracing;
import scala.concurrent.ExecutionContextExecutor;

/**
 * Calls a local HTTP server (a backend, or this node's own API) through Pekko HTTP's pooled keep-alive
 * client, and turns the response into a {@link ProxyReply}: small bodies whole, everything else as a
 * stream that starts as soon as the headers arrive. Thread-safe; no actor state. Continuations run on
 * the completing thread ({@link SameThread}).
 */
final class BackendClient {
  private final Http http;
  private final Materializer materializer;
  private final Duration firstByteTimeout;
  private final int inlineLimit;
  private final Scheduler scheduler;
  private final ExecutionContextExecutor executor;
  private final Tracing tracing;

  BackendClient(ActorSystem<?> system, Duration firstByteTimeout, int inlineLimit, Tracing tracing) {
    this.tracing = tracing;
    this.http = Http.get(system);
    this.scheduler = system.scheduler();
    this.executor = system.executionContext();
    this.materializer = SystemMaterializer.get(system).materializer();
    this.firstByteTimeout = firstByteTimeout;
    this.inlineLimit = inlineLimit;
  }

  /**
   * Sends {@code r} to {@code baseUrl}; never fails: failures become {@link ProxyReply.Failed}.
   * {@code ended} runs once when the exchange is over: with a whole reply or a failure, or, for a
   * {@link ProxyReply.Streamed}, when its stream ends however it ends.
   */
  CompletionStage<ProxyReply> call(long attemptId, String baseUrl, ProxyRequest r, boolean replyIsLocal,
      Runnable ended) {
    BackendSpan span = tracing.enabled() ? BackendSpan.start(tracing, r, baseUrl) : null;
    ProxyRequest request = span == null ? r : span.carry(r);
    return send(attemptId, baseUrl, request, replyIsLocal, ended, span).thenApplyAsync(reply -> {
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
  }

  private CompletionStage<ProxyReply> send(long attemptId, String baseUrl, ProxyRequest r, boolean replyIsLocal,
      Runnable streamEnded, BackendSpan span) {
    HttpRequest request;
    try {
      request = toPekko(baseUrl, r);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(Outcome.PROXY_ERROR.failed(attemptId,
          "cannot build the backend request: " + e.getMessage()));
    }
    // A plain CompletableFuture in front of Pekko's, so that the steps after it run on the completing
    // thread (see SameThread).
    CompletableFuture<HttpResponse> response = new CompletableFuture<>();
    long sent = System.nanoTime();
    http.singleRequest(request).whenCompleteAsync((resp, err) -> {
      if (err != null) {
        response.completeExceptionally(err);
      } else if (!response.complete(resp)) {
        resp.discardEntityBytes(materializer); // too late: free the pooled connection
      }
    }, SameThread.EXECUTOR);
    // Pekko's scheduler, not orTimeout: the JDK's delay thread is woken to queue and to cancel each request's
    // timer (two context switches per request), Pekko's timer wheel picks new timers up on its next tick.
    Cancellable timer = scheduler.scheduleOnce(firstByteTimeout,
        () -> response.completeExceptionally(new TimeoutException()), executor);
    return response
        .whenComplete((resp, err) -> timer.cancel())
        .thenCompose(resp -> toReply(attemptId, resp, replyIsLocal, streamEnded, System.nanoTime() - sent, span))
        .exceptionally(err -> failed(attemptId, baseUrl, err));
  }

  private static HttpRequest toPekko(String baseUrl, ProxyRequest r) {
    String uri = baseUrl + r.path() + (r.query() == null || r.query().isEmpty() ? "" : "?" + r.query());
    RequestEntity entity;
    if (r.contentType() == null && r.contentLength() == 0) {
      entity = HttpEntities.EMPTY;
    } else {
      var ct = Headers.parseContentType(r.contentType());
      entity = r.bodyRef() != null
          ? HttpEntities.create(ct, r.contentLength(), r.bodyRef().getSource())
          : HttpEntities.create(ct, r.body() == null ? new byte[0] : r.body());
    }
    return HttpRequest.create(uri)
        .withMethod(HttpMethods.lookup(r.method()).orElseGet(() -> HttpMethods.custom(r.method(), false, false,
            RequestEntityAcceptances.Tolerated)))
        .addHeaders(Headers.toPekko(r.headers()))
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
    return CompletableFuture.completedFuture(new ProxyReply.Streamed(attemptId, status, headers, ct,
        len.isPresent() ? len.getAsLong() : -1, StreamBody.of(bytes, local, materializer), backendNanos));
  }

  private ProxyReply failed(long attemptId, String baseUrl, Throwable err) {
    Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    if (cause instanceof TimeoutException) {
      return Outcome.FIRST_BYTE_TIMEOUT.failed(attemptId, "the backend at " + baseUrl
          + " sent no response headers within " + firstByteTimeout.toMillis() + " ms (--routing.first_byte_timeout)");
    }
    if (cause instanceof StreamTcpException || cause instanceof java.net.ConnectException
        || String.valueOf(cause.getMessage()).contains("Connection")) {
      return Outcome.BACKEND_UNREACHABLE.failed(attemptId, baseUrl, cause.getMessage());
    }
    return Outcome.PROXY_ERROR.failed(attemptId, "forwarding to " + baseUrl + " failed: " + cause);
  }
}
