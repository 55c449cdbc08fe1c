package org.opentela.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The test log setup: quiet unless a test fails, and LogCapture still sees what otela logs. */
class LogCaptureTest {

  @Test
  void theLogGoesToPekkosCapturingAppenderWhichPrintsItOnlyForAFailedTest() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    assertNotNull(root.getAppender("CapturingAppender"), "logback-test.xml routes the log to the CapturingAppender");
    Logger delegate = (Logger) LoggerFactory.getLogger(
        "org.apache.pekko.actor.testkit.typed.internal.CapturingAppenderDelegate");
    assertNotNull(delegate.getAppender("STDOUT"), "which prints to STDOUT when a test fails");
  }

  @Test
  void logCaptureSeesOtelasMessages() {
    try (LogCapture logs = new LogCapture()) {
      LoggerFactory.getLogger("org.opentela.testing.Probe").warn("the {} is {}", "answer", 42);
      assertEquals(List.of("the answer is 42"), logs.find(Level.WARN, "answer"));
      assertEquals(List.of(), logs.find(Level.ERROR, "answer"), "filtered by level");
    }
  }
}
