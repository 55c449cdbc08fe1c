package org.opentela.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventuallyTest {

  @Test
  void retriesUntilTheCheckPasses() {
    AtomicInteger tries = new AtomicInteger();
    eventually("the third try", Duration.ofSeconds(5), () -> assertEquals(3, tries.incrementAndGet()));
    assertEquals(3, tries.get());
  }

  @Test
  void givesUpWithTheLastFailureAndWhatItSaw() {
    AtomicInteger seen = new AtomicInteger();
    AssertionError e = assertThrows(AssertionError.class, () -> eventually("a miracle", Duration.ofMillis(100),
        () -> assertEquals(-1, seen.incrementAndGet(), "the counter")));
    assertTrue(e.getMessage().startsWith("gave up after 100 ms waiting for a miracle; last seen: "), e.getMessage());
    assertTrue(e.getMessage().contains("the counter ==> expected: <-1> but was: <" + seen.get() + ">"),
        e.getMessage());
    assertTrue(e.getCause() instanceof AssertionError);
  }

  @Test
  void exceptionsAreRetriedToo() {
    AtomicInteger tries = new AtomicInteger();
    eventually("a connection", Duration.ofSeconds(5), () -> {
      if (tries.incrementAndGet() < 2) {
        throw new java.net.ConnectException("refused");
      }
    });
    assertEquals(2, tries.get());
  }

  @Test
  void aCheckThatGivesUpStopsAtOnce() {
    AtomicInteger tries = new AtomicInteger();
    AssertionError exited = Eventually.giveUp("the process exited");
    AssertionError e = assertThrows(AssertionError.class, () -> eventually("a line", Duration.ofSeconds(30), () -> {
      tries.incrementAndGet();
      throw exited;
    }));
    assertSame(exited, e);
    assertEquals(1, tries.get());
  }
}
