package org.opentela.subprocess;

import java.time.Duration;

/**
 * When to restart a backend that exited: after {@link Backoff} delays, started over at the first delay
 * once the backend had stayed healthy for {@code resetAfter}. Times are {@link System#nanoTime()}
 * values, passed in so that tests need no clock. Owned by one supervisor; not thread-safe.
 */
final class RestartPolicy {
  private final Duration resetAfter;
  private Backoff backoff;
  /** When the backend last became healthy; null while it is not. */
  private Long healthySince;

  RestartPolicy(Duration first, Duration max, Duration resetAfter) {
    this.backoff = Backoff.of(first, max);
    this.resetAfter = resetAfter;
  }

  static RestartPolicy of(ServiceSettings s) {
    return new RestartPolicy(s.restartBackoff(), s.restartBackoffMax(), s.restartBackoffReset());
  }

  /** The backend is healthy (connected) from {@code now} on. */
  void healthy(long now) {
    healthySince = now;
  }

  /** The backend is not healthy (any more). */
  void unhealthy() {
    healthySince = null;
  }

  /** The delay before the next restart, the backend having ended at {@code now}. */
  Duration nextDelay(long now) {
    if (healthySince != null && now - healthySince >= resetAfter.toNanos()) {
      backoff = backoff.reset();
    }
    healthySince = null;
    Duration delay = backoff.delay();
    backoff = backoff.next();
    return delay;
  }
}
