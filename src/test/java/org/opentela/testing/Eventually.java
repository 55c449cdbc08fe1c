package org.opentela.testing;

import java.time.Duration;

/**
 * The one way tests wait for something that happens asynchronously: retry an assertion until it passes,
 * and past the deadline fail with the last failure, whose message says what the check last saw. Write
 * checks as assertions that print the observed value ({@code assertEquals(2, serving.size(), serving::toString)}),
 * not as bare booleans.
 */
public final class Eventually {
  private static final long FIRST_PAUSE_MS = 10;
  private static final long MAX_PAUSE_MS = 100;

  /** An assertion to retry: passes by returning, fails by throwing (AssertionError or any exception). */
  @FunctionalInterface
  public interface Check {
    void run() throws Exception;
  }

  /** Thrown by a check that knows it can never pass (the process it waits for exited): not retried. */
  public static final class GaveUp extends AssertionError {
    private static final long serialVersionUID = 1L;

    private GaveUp(String message) {
      super(message);
    }
  }

  private Eventually() {}

  /** The failure a check throws to stop waiting at once: {@code throw Eventually.giveUp("... exited")}. */
  public static GaveUp giveUp(String message) {
    return new GaveUp(message);
  }

  /**
   * Runs {@code check} until it passes and returns how long that took; after {@code max}, throws an
   * AssertionError naming {@code what}, with the last failure's message and the failure as its cause.
   */
  public static Duration eventually(String what, Duration max, Check check) {
    long start = System.nanoTime();
    long deadline = start + max.toNanos();
    long pause = FIRST_PAUSE_MS;
    while (true) {
      Throwable last;
      try {
        check.run();
        return Duration.ofNanos(System.nanoTime() - start);
      } catch (GaveUp e) {
        throw e;
      } catch (AssertionError | Exception e) {
        last = e;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("gave up after " + max.toMillis() + " ms waiting for " + what + "; last seen: "
            + last, last);
      }
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        AssertionError interrupted = new AssertionError("interrupted while waiting for " + what, e);
        interrupted.addSuppressed(last);
        throw interrupted;
      }
      pause = Math.min(MAX_PAUSE_MS, pause * 2);
    }
  }

  /** {@link #eventually(String, Duration, Check)} for a check whose failure says enough by itself. */
  public static Duration eventually(Duration max, Check check) {
    return eventually("the check to pass", max, check);
  }
}
