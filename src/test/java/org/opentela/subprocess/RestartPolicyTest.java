package org.opentela.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RestartPolicyTest {
  private static final long SECOND = 1_000_000_000L;

  private final RestartPolicy policy = new RestartPolicy(Duration.ofSeconds(1), Duration.ofSeconds(60),
      Duration.ofMinutes(5));

  @Test
  void backsOffWhileTheBackendKeepsFailing() {
    assertEquals(Duration.ofSeconds(1), policy.nextDelay(0));
    assertEquals(Duration.ofSeconds(2), policy.nextDelay(SECOND));
    policy.healthy(2 * SECOND);
    // Healthy for a minute only: not long enough to forget the earlier exits.
    assertEquals(Duration.ofSeconds(4), policy.nextDelay(62 * SECOND));
  }

  @Test
  void startsOverAfterFiveHealthyMinutes() {
    policy.nextDelay(0);
    policy.nextDelay(SECOND);
    policy.nextDelay(2 * SECOND);
    policy.healthy(10 * SECOND);
    assertEquals(Duration.ofSeconds(1), policy.nextDelay(310 * SECOND));
    assertEquals(Duration.ofSeconds(2), policy.nextDelay(311 * SECOND));
  }

  @Test
  void timeSpentUnhealthyDoesNotCount() {
    policy.nextDelay(0);
    policy.healthy(SECOND);
    policy.unhealthy();
    assertEquals(Duration.ofSeconds(2), policy.nextDelay(600 * SECOND));
  }
}
