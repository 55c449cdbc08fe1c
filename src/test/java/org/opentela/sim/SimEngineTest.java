package org.opentela.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The engine's slots and queue, and generations on a manual clock: exact timing, no waiting. */
class SimEngineTest {
  private final ManualClock clock = new ManualClock();

  /** The progress reports of one generation: the token counts, and whether it said it finished. */
  private static final class Recorder implements Generation.Listener {
    final List<Integer> reports = new ArrayList<>();
    boolean finished;

    @Override
    public synchronized void onProgress(int generated, boolean done) {
      reports.add(generated);
      finished |= done;
    }

    synchronized int last() {
      return reports.isEmpty() ? 0 : reports.get(reports.size() - 1);
    }
  }

  private static Engine engine(int ttftMs, int itlMs, int maxNumSeqs) {
    return new Engine("m", new LatencyModel(ttftMs, itlMs, maxNumSeqs));
  }

  @Test
  void latencyGrowsWithTheOtherRunningRequests() {
    LatencyModel m = new LatencyModel(50, 10, 4);
    assertEquals(50_000_000, m.delayNanos(0, 0));
    assertEquals(75_000_000, m.delayNanos(0, 2), "ttft * (1 + 2/4)");
    assertEquals(10_000_000, m.delayNanos(1, 0));
    assertEquals(12_500_000, m.delayNanos(5, 2), "itl * (1 + 0.5 * 2/4)");
    assertEquals(0, new LatencyModel(0, 0, 1).delayNanos(3, 0));
  }

  @Test
  void requestsBeyondMaxNumSeqsWaitInOrderAndTakeOverFreedSlots() {
    Engine e = engine(0, 0, 2);
    CompletableFuture<Void> a = e.admit(1);
    CompletableFuture<Void> b = e.admit(1);
    CompletableFuture<Void> c = e.admit(1);
    CompletableFuture<Void> d = e.admit(1);
    assertTrue(a.isDone() && b.isDone());
    assertFalse(c.isDone() || d.isDone());
    assertEquals(2, e.stats().running());
    assertEquals(2, e.stats().waiting());
    e.release();
    assertTrue(c.isDone(), "the longest waiting request goes first");
    assertFalse(d.isDone());
    assertEquals(2, e.stats().running());
    assertTrue(e.withdraw(d));
    assertFalse(e.withdraw(c), "a granted ticket is not in the queue");
    e.release();
    e.release();
    assertEquals(0, e.stats().running());
    assertEquals(0, e.stats().waiting());
  }

  @Test
  void generationFollowsTheLatencyModelToTheNanosecond() {
    Engine e = engine(50, 10, 4);
    Recorder r = new Recorder();
    new Generation(e, 3, 7, clock, r).start();
    assertEquals(1, e.stats().running());
    clock.advanceMillis(49);
    assertEquals(List.of(), r.reports);
    clock.advanceMillis(1);
    assertEquals(List.of(1), r.reports, "first token at ttft");
    clock.advanceMillis(9);
    assertEquals(1, r.last());
    clock.advanceMillis(1);
    assertEquals(2, r.last());
    clock.advanceMillis(10);
    assertEquals(List.of(1, 2, 3), r.reports);
    assertTrue(r.finished);
    SimStats s = e.stats();
    assertEquals(0, s.running());
    assertEquals(1, s.completed());
    assertEquals(3, s.generatedTokens());
    assertEquals(7, s.promptTokens());
    assertEquals(0, clock.pending());
  }

  @Test
  void busyEngineSlowsEveryRequestDown() {
    Engine e = engine(100, 10, 2);
    Recorder first = new Recorder();
    Recorder second = new Recorder();
    new Generation(e, 100, 1, clock, first).start(); // alone: first token at 100 ms
    new Generation(e, 100, 1, clock, second).start(); // one other running: 100 * (1 + 1/2) = 150 ms
    clock.advanceMillis(100);
    assertEquals(1, first.last());
    assertEquals(0, second.last());
    clock.advanceMillis(50);
    assertEquals(1, second.last());
    // Both running: tokens every 10 * (1 + 0.5 * 1/2) = 12.5 ms instead of 10.
    assertEquals(1 + 50 / 12, first.last());
  }

  @Test
  void zeroLatencyFinishesInsideStart() {
    Engine e = engine(0, 0, 1);
    Recorder r = new Recorder();
    new Generation(e, 16, 1, clock, r).start();
    assertEquals(List.of(16), r.reports, "one report for all tokens");
    assertTrue(r.finished);
    assertEquals(0, clock.pending());
    assertEquals(0, e.stats().running());
  }

  @Test
  void cancellingARunningGenerationFreesItsSlotAndStopsItsTimer() {
    Engine e = engine(10, 10, 1);
    Recorder r = new Recorder();
    Generation g = new Generation(e, 100, 1, clock, r);
    g.start();
    clock.advanceMillis(25);
    assertEquals(2, r.last());
    g.cancel();
    g.cancel(); // idempotent
    assertEquals(0, clock.pending());
    clock.advanceMillis(1000);
    assertEquals(2, r.last(), "no token after cancel");
    assertFalse(r.finished);
    SimStats s = e.stats();
    assertEquals(0, s.running());
    assertEquals(1, s.cancelled());
    assertEquals(0, s.completed());
  }

  @Test
  void cancellingAWaitingGenerationLeavesTheQueueWithoutTakingASlot() {
    Engine e = engine(10, 10, 1);
    Recorder running = new Recorder();
    Recorder waiting = new Recorder();
    Generation a = new Generation(e, 2, 1, clock, running);
    Generation b = new Generation(e, 2, 1, clock, waiting);
    a.start();
    b.start();
    assertEquals(1, e.stats().waiting());
    b.cancel();
    assertEquals(0, e.stats().waiting());
    clock.advanceMillis(100);
    assertTrue(running.finished);
    assertEquals(List.of(), waiting.reports);
    SimStats s = e.stats();
    assertEquals(0, s.running());
    assertEquals(1, s.completed());
    assertEquals(1, s.cancelled());
  }

  @Test
  void aLongQueueOfInstantRequestsDrainsWithoutDeepRecursion() {
    Engine e = engine(0, 0, 1);
    e.admit(0); // hold the only slot, so that every generation below waits
    List<Recorder> recorders = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      Recorder r = new Recorder();
      recorders.add(r);
      new Generation(e, 1, 1, clock, r).start();
    }
    assertEquals(100_000, e.stats().waiting());
    // Each finishing request hands the slot to the next: that chain must not grow one thread's stack.
    e.release();
    clock.advanceMillis(0);
    assertTrue(recorders.stream().allMatch(r -> r.finished));
    assertEquals(0, e.stats().running());
    assertEquals(100_000, e.stats().completed());
  }

  @Test
  void aWaitingGenerationStartsItsTtftWhenAdmitted() {
    Engine e = engine(10, 0, 1);
    Recorder a = new Recorder();
    Recorder b = new Recorder();
    new Generation(e, 1, 1, clock, a).start();
    new Generation(e, 1, 1, clock, b).start();
    clock.advanceMillis(10);
    assertTrue(a.finished);
    assertFalse(b.finished, "b was admitted only now");
    clock.advanceMillis(10);
    assertTrue(b.finished);
  }
}
