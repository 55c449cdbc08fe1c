package org.opentela.sim;

import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs token timers. The sim's clock is one JDK scheduler thread per sim: it keeps delays of a few
 * milliseconds to within a fraction of a millisecond, where Pekko's scheduler rounds them up to its tick
 * (10 ms by default), and the tasks it runs are short and never block. Tests use a manual clock.
 */
interface TokenClock {
  /** The current time in nanoseconds, as {@link System#nanoTime()}. */
  long nanoTime();

  /** Runs {@code task} after {@code delayNanos}; cancelling the returned future stops it if not yet run. */
  Future<?> schedule(long delayNanos, Runnable task);

  /** A clock on its own daemon thread; shut the executor down to stop it. */
  static ScheduledExecutorService newExecutor(String name) {
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
    // Cancelled streams must not leave their timers queued until they would have fired.
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }

  static TokenClock of(ScheduledExecutorService executor) {
    return new TokenClock() {
      @Override
      public long nanoTime() {
        return System.nanoTime();
      }

      @Override
      public Future<?> schedule(long delayNanos, Runnable task) {
        return executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
      }
    };
  }
}
