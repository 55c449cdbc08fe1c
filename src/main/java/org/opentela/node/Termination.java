package org.opentela.node;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Waiting for an actor system to terminate, with a bound once its coordinated shutdown is over. Pekko
 * 1.7.0's Artery waits without a deadline for its remoting streams to complete when the system terminates;
 * a stream that stalls (seen with TLS connections of a closed pool whose peer had gone) kept the system, and
 * so the node's process, alive forever after every shutdown phase had run (apache/pekko#3317 bounds that
 * wait in a later Pekko). Once the phases are done, a node waits {@code grace} more and then stops anyway:
 * everything that had to happen before (drain, leaving the cluster, stopping the backend) has happened.
 */
final class Termination {
  /** How the wait ended. */
  enum Outcome {
    /** The system terminated. */
    TERMINATED,
    /** The shutdown's phases were done and the system still had not terminated {@code grace} later. */
    STALLED
  }

  private static final long POLL_MS = 500;

  private Termination() {}

  /**
   * Blocks until {@code terminated} completes, or until {@code grace} after the coordinated shutdown's run
   * completes. {@code shutdown} gives that run once a shutdown has started (empty before: a system that
   * has not begun to stop is waited for without a bound).
   */
  static Outcome await(CompletionStage<?> terminated, Supplier<Optional<CompletionStage<?>>> shutdown, Duration grace) {
    CompletableFuture<?> done = terminated.toCompletableFuture();
    CompletableFuture<?> phases = null;
    long phasesDoneAt = -1;
    while (true) {
      try {
        done.get(POLL_MS, TimeUnit.MILLISECONDS);
        return Outcome.TERMINATED;
      } catch (TimeoutException e) {
        // still running: look at the shutdown below
      } catch (ExecutionException e) {
        return Outcome.TERMINATED;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Outcome.STALLED;
      }
      if (phases == null) {
        phases = shutdown.get().map(CompletionStage::toCompletableFuture).orElse(null);
      }
      if (phases != null && phases.isDone()) {
        long now = System.nanoTime();
        if (phasesDoneAt < 0) {
          phasesDoneAt = now;
        } else if (now - phasesDoneAt >= grace.toNanos()) {
          return Outcome.STALLED;
        }
      }
    }
  }
}
