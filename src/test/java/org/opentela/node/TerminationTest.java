package org.opentela.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Termination}: a node whose actor system never terminates still stops, once its shutdown has run. */
class TerminationTest {
  final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  @Test
  void aSystemThatTerminatesEndsTheWait() {
    CompletableFuture<Void> terminated = new CompletableFuture<>();
    timer.schedule(() -> terminated.complete(null), 200, TimeUnit.MILLISECONDS);
    assertEquals(Termination.Outcome.TERMINATED,
        Termination.await(terminated, Optional::empty, Duration.ofSeconds(30)));
  }

  @Test
  void aSystemStalledAfterItsShutdownPhasesIsGivenUpAfterTheGrace() {
    CompletableFuture<Void> never = new CompletableFuture<>();
    CompletableFuture<Object> phases = new CompletableFuture<>();
    timer.schedule(() -> phases.complete("done"), 300, TimeUnit.MILLISECONDS);
    long start = System.nanoTime();
    Termination.Outcome o = Termination.await(never, () -> Optional.<CompletionStage<?>>of(phases),
        Duration.ofSeconds(1));
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Termination.Outcome.STALLED, o);
    assertTrue(ms >= 1_300 && ms < 10_000, "gave up " + ms + " ms after the start: phases took 300 ms, grace 1 s");
  }

  @Test
  void whileTheShutdownPhasesStillRunTheWaitHasNoBound() {
    CompletableFuture<Void> terminated = new CompletableFuture<>();
    CompletableFuture<Object> phases = new CompletableFuture<>(); // a long drain: never done in this test
    timer.schedule(() -> terminated.complete(null), 2_500, TimeUnit.MILLISECONDS);
    assertEquals(Termination.Outcome.TERMINATED, Termination.await(terminated,
        () -> Optional.<CompletionStage<?>>of(phases), Duration.ofMillis(100)));
  }
}
