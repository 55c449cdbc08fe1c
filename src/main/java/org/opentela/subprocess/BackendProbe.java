package org.opentela.subprocess;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.opentela.table.Load;

/**
 * Non-blocking HTTP calls to the local backend at {@code http://localhost:<port>}: the health probe,
 * {@code /v1/models} and {@code /metrics}. Every call has its own timeout and completes exceptionally
 * with a message fit for the log when the backend does not answer as expected.
 *
 * <p>One JDK {@link HttpClient} serves the whole JVM, so a node that restarts its actor system does not
 * leave clients (and their selector threads) behind.
 */
final class BackendProbe {
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER)
      .build();

  private final String base;
  private final String healthPath;
  private final Duration timeout;
  private final String authorization;

  /** {@code authorization}: the Authorization header for every call ({@code --service.api_key}), or null. */
  BackendProbe(int port, String healthPath, Duration timeout, String authorization) {
    this.authorization = authorization;
    this.base = "http://localhost:" + port;
    this.healthPath = healthPath;
    this.timeout = timeout;
  }

  /**
   * Completes normally when the backend is healthy: a 2xx from the health path, or, when that path is
   * 404, a 2xx from {@code /v1/models}. Otherwise completes exceptionally with the reason.
   */
  CompletableFuture<Void> probe() {
    return get(healthPath).thenCompose(r -> {
      if (r.statusCode() / 100 == 2) {
        return CompletableFuture.completedFuture(null);
      }
      if (r.statusCode() == 404 && !healthPath.equals("/v1/models")) {
        return get("/v1/models").thenApply(m -> {
          if (m.statusCode() / 100 != 2) {
            throw failure("GET " + healthPath + " answered 404 and GET /v1/models " + m.statusCode());
          }
          return null;
        });
      }
      throw failure("GET " + healthPath + " answered " + r.statusCode());
    });
  }

  /** The model ids from {@code GET /v1/models}. */
  CompletableFuture<List<String>> models() {
    return get("/v1/models").thenApply(r -> {
      if (r.statusCode() / 100 != 2) {
        throw failure("GET /v1/models answered " + r.statusCode());
      }
      return ModelList.parse(r.body());
    });
  }

  /** The load from {@code GET /metrics}; empty when the backend has no metrics or none of vLLM's gauges. */
  CompletableFuture<Optional<Load>> load() {
    return get("/metrics").thenApply(r -> {
      if (r.statusCode() == 404) {
        return Optional.empty();
      }
      if (r.statusCode() / 100 != 2) {
        throw failure("GET /metrics answered " + r.statusCode());
      }
      return PrometheusGauges.parse(r.body(), System.currentTimeMillis());
    });
  }

  private CompletableFuture<HttpResponse<String>> get(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout).GET();
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    HttpRequest request = b.build();
    return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .exceptionally(err -> {
          Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
          throw failure("GET " + base + path + ": " + describe(cause));
        });
  }

  /** The log-ready reason of a failed call, unwrapped from the future's exception. */
  static String reason(Throwable t) {
    Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    return cause instanceof BackendUnavailableException ? cause.getMessage() : describe(cause);
  }

  private static String describe(Throwable t) {
    if (t instanceof java.net.http.HttpTimeoutException) {
      return "no answer in time";
    }
    if (t instanceof java.net.ConnectException) {
      return "connection refused";
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private static CompletionException failure(String message) {
    return new CompletionException(new BackendUnavailableException(message));
  }

  /** The backend did not answer as expected; the message says which call and what came back. */
  static final class BackendUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BackendUnavailableException(String message) {
      super(message, null, false, false);
    }
  }
}
