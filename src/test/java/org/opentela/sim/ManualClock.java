package org.opentela.sim;

import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/** A {@link TokenClock} that only moves when the test says so, running due timers on the test's thread. */
final class ManualClock implements TokenClock {
  private record Timer(long due, long seq, FutureTask<Void> task) {}

  private final PriorityQueue<Timer> timers = new PriorityQueue<>(
      Comparator.comparingLong(Timer::due).thenComparingLong(Timer::seq));
  private long now;
  private long seq;

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public synchronized Future<?> schedule(long delayNanos, Runnable task) {
    FutureTask<Void> f = new FutureTask<>(task, null);
    timers.add(new Timer(now + delayNanos, seq++, f));
    return f;
  }

  /** Moves time forward by {@code millis}, running every timer that falls due, in order. */
  void advanceMillis(long millis) {
    long end;
    synchronized (this) {
      end = now + millis * 1_000_000;
    }
    while (true) {
      Timer next;
      synchronized (this) {
        next = timers.peek();
        if (next == null || next.due() > end) {
          now = end;
          return;
        }
        timers.poll();
        now = Math.max(now, next.due());
      }
      next.task().run(); // a no-op if cancelled
    }
  }

  /** Timers scheduled and neither run nor cancelled. */
  synchronized long pending() {
    return timers.stream().filter(t -> !t.task().isCancelled() && !t.task().isDone()).count();
  }
}
