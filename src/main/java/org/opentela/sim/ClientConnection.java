package org.opentela.sim;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One client connection, as the sim sees it: the requests in progress on it, which are aborted together
 * when the client closes it. Pekko HTTP only cancels a streamed answer when a write to the closed socket
 * fails (late for slow tokens, never for a request still waiting for a slot or for a non-streaming one);
 * vLLM aborts a request as soon as its client disconnects, and so does the sim. Thread-safe.
 */
final class ClientConnection {
  private final Set<Runnable> aborts = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * Runs {@code abort} when the client closes the connection (at once if it already has), unless the
   * returned action, called when the request ends, unregisters it first.
   */
  Runnable onClose(Runnable abort) {
    aborts.add(abort);
    if (closed && aborts.remove(abort)) {
      abort.run();
    }
    return () -> aborts.remove(abort);
  }

  /** The client closed the connection (its request side ended). */
  void close() {
    closed = true;
    for (Runnable abort : aborts) {
      if (aborts.remove(abort)) {
        abort.run();
      }
    }
  }
}
