package org.opentela.testing;

import java.time.Duration;
import java.util.function.Supplier;

/** Polls a condition until it holds or a generous deadline passes. */
public final class Await {
  private Await() {}

  /** Returns the elapsed time once {@code condition} is true; fails with {@code what} after {@code max}. */
  public static Duration until(String what, Duration max, Supplier<Boolean> condition) {
    long start = System.nanoTime();
    long deadline = start + max.toNanos();
    while (true) {
      Boolean ok;
      try {
        ok = condition.get();
      } catch (RuntimeException e) {
        ok = false;
      }
      if (Boolean.TRUE.equals(ok)) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + max.toSeconds() + " s waiting for: " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for: " + what);
      }
    }
  }
}
