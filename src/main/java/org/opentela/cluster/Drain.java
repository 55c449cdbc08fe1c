package org.opentela.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.opentela.proxy.ServiceProxy;
import org.opentela.table.TableKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A graceful stop (SIGTERM, Ctrl-C): first the node is marked "draining" in every node's table, so no
 * new request is routed to it; then it finishes the requests and streams its {@link ServiceProxy} is
 * serving (to its backend) and those its HTTP API is still answering (a head's clients' streams, which
 * another node's backend serves), up to the drain timeout; only then does it leave the cluster and stop
 * its backend (later shutdown phases). A node that was downed skips the drain: the others already route
 * around it.
 */
public final class Drain {
  private static final Logger log = LoggerFactory.getLogger(Drain.class);
  /** Time for every router to receive the new table after the write is confirmed. */
  private static final Duration PROPAGATION = Duration.ofMillis(300);
  /** How often the proxy is asked how many requests it still serves. */
  private static final Duration POLL = Duration.ofMillis(100);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
  private static final long REPORT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

  private Drain() {}

  /**
   * @param answering how many client requests the HTTP API is answering now, streams included until
   *                  their last byte (read from shutdown tasks' threads)
   */
  public static void register(ActorSystem<?> system, ActorRef<TableKeeper.Command> keeper,
      ActorRef<ServiceProxy.Command> proxy, IntSupplier answering, Duration timeout) {
    CoordinatedShutdown cs = CoordinatedShutdown.get(Adapter.toClassic(system));
    cs.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "otela-withdraw", () -> {
      if (downed(cs)) {
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      log.info("Stopping: marking this node as draining, so no new request is routed here");
      CompletionStage<Done> written = AskPattern.ask(keeper, replyTo -> new TableKeeper.SetStatus("draining", replyTo),
          ASK_TIMEOUT, system.scheduler());
      return written.exceptionally(err -> Done.getInstance())
          .thenCompose(d -> delay(PROPAGATION));
    });
    cs.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "otela-drain",
        () -> downed(cs) ? CompletableFuture.completedFuture(Done.getInstance())
            : awaitIdle(system, proxy, answering, timeout));
  }

  private static boolean downed(CoordinatedShutdown cs) {
    return cs.getShutdownReason().map(r -> r.equals(CoordinatedShutdown.clusterDowningReason())).orElse(false);
  }

  /**
   * Completes when neither {@code proxy} nor the HTTP API ({@code answering}) has a request in flight, or
   * when {@code timeout} has passed; never fails. Says at INFO how many requests it waits for, every few
   * seconds.
   */
  static CompletionStage<Done> awaitIdle(ActorSystem<?> system, ActorRef<ServiceProxy.Command> proxy,
      IntSupplier answering, Duration timeout) {
    long now = System.nanoTime();
    return inFlight(system, proxy, answering).thenCompose(n -> {
      if (n == 0) {
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      log.info("Draining: finishing {} request(s) in flight (at most {} s, --drain.timeout)", n, timeout.toSeconds());
      return poll(system, proxy, answering, now + timeout.toNanos(), now);
    });
  }

  private static CompletionStage<Done> poll(ActorSystem<?> system, ActorRef<ServiceProxy.Command> proxy,
      IntSupplier answering, long deadline, long lastReport) {
    return delay(POLL).thenCompose(d -> inFlight(system, proxy, answering)).thenCompose(n -> {
      long now = System.nanoTime();
      if (n == 0) {
        log.info("Drained: no request in flight");
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      if (now > deadline) {
        log.warn("Drain timeout: stopping with {} request(s) still in flight", n);
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      long report = lastReport;
      if (now - lastReport > REPORT_EVERY_NANOS) {
        log.info("Draining: {} request(s) still in flight", n);
        report = now;
      }
      return poll(system, proxy, answering, deadline, report);
    });
  }

  /**
   * The requests this node still has to finish: those its proxy serves, or those its HTTP API answers,
   * whichever is more (a request to this node's own backend through its own API is counted by both).
   */
  private static CompletionStage<Integer> inFlight(ActorSystem<?> system, ActorRef<ServiceProxy.Command> proxy,
      IntSupplier answering) {
    return serving(system, proxy).thenApply(n -> Math.max(n, answering.getAsInt()));
  }

  /** The proxy's count; 0 if it cannot answer (it is gone: nothing left to wait for). */
  private static CompletionStage<Integer> serving(ActorSystem<?> system, ActorRef<ServiceProxy.Command> proxy) {
    CompletionStage<ServiceProxy.Serving> answer = AskPattern.ask(proxy, ServiceProxy.GetServing::new, ASK_TIMEOUT,
        system.scheduler());
    return answer.handle((s, err) -> {
      if (err != null) {
        log.warn("Draining: the request proxy did not say how many requests it serves; not waiting for them", err);
        return 0;
      }
      return s.requests();
    });
  }

  private static CompletionStage<Done> delay(Duration d) {
    return CompletableFuture.supplyAsync(Done::getInstance,
        CompletableFuture.delayedExecutor(d.toMillis(), TimeUnit.MILLISECONDS));
  }
}
