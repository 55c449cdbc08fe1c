package org.opentela.sim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/** A {@link TokenClock} that only moves when the test says so, running due timers on the test's thread. */
final class ManualClock implements TokenClock {
  private record Timer(long due, FutureTask<Void> task) {}

  private final List<Timer> timers = new ArrayList<>();
  private long now;

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public synchronized Future<?> schedule(long delayNanos, Runnable task) {
    FutureTask<Void> f = new FutureTask<>(task, null);
    timers.add(new Timer(now + delayNanos, f));
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
        next = timers.stream().filter(t -> t.due() <= end).min(Comparator.comparingLong(Timer::due)).orElse(null);
        if (next == null) {
          now = end;
          return;
        }
        timers.remove(next);
        now = Math.max(now, next.due());
      }
      next.task().run(); // a no-op if cancelled
    }
  }

  /** Timers scheduled and neither run nor cancelled. */
  synchronized long pending() {
    return timers.stream().filter(t -> !t.task().isCancelled()).count();
  }
}
