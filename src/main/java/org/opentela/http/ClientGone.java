package org.opentela.http;

import java.util.concurrent.CompletableFuture;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * Fires when the client of a request goes away (closes or resets its connection) before the response
 * headers were sent. {@link ConnectionGuard} attaches one to every request it passes on; a route that
 * waits for a worker registers what frees the worker. After the first byte, cancelling the response
 * stream does that instead. Thread-safe: fired from the connection's stream, registered from a route.
 */
final class ClientGone {
  static final AttributeKey<ClientGone> KEY = AttributeKey.create("otela-client-gone", ClientGone.class);

  private final CompletableFuture<Void> gone = new CompletableFuture<>();

  /** Runs {@code action} when {@code req}'s client goes away (at once if it is gone already). */
  static void whenGone(HttpRequest req, Runnable action) {
    req.getAttribute(KEY).ifPresent(g -> g.gone.thenRun(action));
  }

  /** Whether {@code req}'s client is gone already. */
  static boolean isGone(HttpRequest req) {
    return req.getAttribute(KEY).map(g -> g.gone.isDone()).orElse(false);
  }

  void fire() {
    gone.complete(null);
  }
}
