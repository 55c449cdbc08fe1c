package org.opentela.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.opentela.table.TableKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A graceful stop (SIGTERM, Ctrl-C): first the node is marked "draining" in every node's table, so no
 * new request is routed to it; then it finishes the requests and streams it is serving, up to the drain
 * timeout; only then does it leave the cluster and stop its backend (later shutdown phases). A node that
 * was downed skips the drain: the others already route around it.
 */
public final class Drain {
  private static final Logger log = LoggerFactory.getLogger(Drain.class);
  /** Time for every router to receive the new table after the write is confirmed. */
  private static final Duration PROPAGATION = Duration.ofMillis(300);

  private Drain() {}

  public static void register(ActorSystem<?> system, ActorRef<TableKeeper.Command> keeper, AtomicInteger inFlight,
      Duration timeout) {
    CoordinatedShutdown cs = CoordinatedShutdown.get(Adapter.toClassic(system));
    cs.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "otela-withdraw", () -> {
      if (downed(cs)) {
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      log.info("Stopping: marking this node as draining, so no new request is routed here");
      CompletionStage<Done> written = AskPattern.ask(keeper, replyTo -> new TableKeeper.SetStatus("draining", replyTo),
          Duration.ofSeconds(5), system.scheduler());
      return written.exceptionally(err -> Done.getInstance())
          .thenCompose(d -> delay(PROPAGATION));
    });
    cs.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "otela-drain", () -> {
      if (downed(cs) || inFlight.get() == 0) {
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      log.info("Draining: finishing {} request(s) in flight (at most {} s, --drain.timeout)", inFlight.get(),
          timeout.toSeconds());
      return waitForZero(inFlight, System.nanoTime() + timeout.toNanos(), System.nanoTime());
    });
  }

  private static boolean downed(CoordinatedShutdown cs) {
    return cs.getShutdownReason().map(r -> r.equals(CoordinatedShutdown.clusterDowningReason())).orElse(false);
  }

  private static CompletionStage<Done> waitForZero(AtomicInteger inFlight, long deadline, long lastReport) {
    if (inFlight.get() <= 0) {
      log.info("Drained: no request in flight");
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    long now = System.nanoTime();
    if (now > deadline) {
      log.warn("Drain timeout: stopping with {} request(s) still in flight", inFlight.get());
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    long report = lastReport;
    if (now - lastReport > TimeUnit.SECONDS.toNanos(5)) {
      log.info("Draining: {} request(s) still in flight", inFlight.get());
      report = now;
    }
    long next = report;
    return delay(Duration.ofMillis(100)).thenCompose(d -> waitForZero(inFlight, deadline, next));
  }

  private static CompletionStage<Done> delay(Duration d) {
    return CompletableFuture.supplyAsync(Done::getInstance,
        CompletableFuture.delayedExecutor(d.toMillis(), TimeUnit.MILLISECONDS));
  }
}
