package org.opentela.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.opentela.subprocess.Readiness.Verdict;

class ReadinessTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void reportsEveryTenSecondsAndGivesUpAtTheTimeout() {
    long t0 = 7 * SECOND;
    Readiness r = new Readiness(t0, Duration.ofSeconds(30), Duration.ofSeconds(10));
    assertEquals(Verdict.WAIT, r.failed(t0 + SECOND));
    assertEquals(Verdict.WAIT, r.failed(t0 + 9 * SECOND));
    assertEquals(Verdict.REPORT, r.failed(t0 + 10 * SECOND));
    assertEquals(Verdict.WAIT, r.failed(t0 + 11 * SECOND));
    assertEquals(Verdict.REPORT, r.failed(t0 + 21 * SECOND));
    assertEquals(21, r.waitedSeconds(t0 + 21 * SECOND + SECOND / 2));
    assertEquals(Verdict.GIVE_UP, r.failed(t0 + 30 * SECOND));
  }
}
