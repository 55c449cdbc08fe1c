package org.opentela.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private static final Duration SECOND = Duration.ofSeconds(1);
  private static final Duration MINUTE = Duration.ofSeconds(60);

  @Test
  void doublesFromFirstDelayUpToTheCap() {
    Backoff b = Backoff.of(SECOND, MINUTE);
    long[] expected = {1, 2, 4, 8, 16, 32, 60, 60};
    for (long seconds : expected) {
      assertEquals(Duration.ofSeconds(seconds), b.delay());
      b = b.next();
    }
  }

  @Test
  void staysAtTheCapWithoutOverflowing() {
    Backoff b = new Backoff(SECOND, MINUTE, 10_000);
    assertEquals(MINUTE, b.delay());
    assertEquals(MINUTE, new Backoff(SECOND, MINUTE, Integer.MAX_VALUE).next().delay());
  }

  @Test
  void resetStartsOverAtTheFirstDelay() {
    Backoff b = Backoff.of(SECOND, MINUTE).next().next().next();
    assertEquals(Duration.ofSeconds(8), b.delay());
    assertEquals(SECOND, b.reset().delay());
  }

  @Test
  void rejectsNonsense() {
    var e = assertThrows(IllegalArgumentException.class, () -> Backoff.of(Duration.ZERO, MINUTE));
    assertEquals("first: PT0S (expected: > 0)", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Backoff.of(MINUTE, SECOND));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(SECOND, MINUTE, -1));
  }
}
