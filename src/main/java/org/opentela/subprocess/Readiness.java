package org.opentela.subprocess;

import java.time.Duration;

/**
 * The wait for a starting backend's first healthy answer: after each failed probe, whether to keep
 * waiting quietly, to tell the user it is still loading (every {@code reportEvery}), or to give up
 * ({@code timeout} after the start). Times are {@link System#nanoTime()} values.
 */
final class Readiness {
  enum Verdict { WAIT, REPORT, GIVE_UP }

  private final long startedAt;
  private final Duration timeout;
  private final Duration reportEvery;
  private long lastReport;

  Readiness(long now, Duration timeout, Duration reportEvery) {
    this.startedAt = now;
    this.lastReport = now;
    this.timeout = timeout;
    this.reportEvery = reportEvery;
  }

  /** What to do after a probe failed at {@code now}. */
  Verdict failed(long now) {
    if (now - startedAt >= timeout.toNanos()) {
      return Verdict.GIVE_UP;
    }
    if (now - lastReport >= reportEvery.toNanos()) {
      lastReport = now;
      return Verdict.REPORT;
    }
    return Verdict.WAIT;
  }

  /** Whole seconds waited by {@code now}. */
  long waitedSeconds(long now) {
    return Duration.ofNanos(now - startedAt).toSeconds();
  }
}
