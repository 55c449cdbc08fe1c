package org.opentela;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentela.testing.LogCapture;
import org.slf4j.LoggerFactory;

/** Request text in the log: escaped, bounded, and a flood of one warning is one line per interval. */
class LogTextTest {
  @Test
  void controlCharactersAreShownAsEscapes() {
    assertEquals("a\\x00b\\x1b[31mred\\x1b[0m\\x0a2026-01-01 ERROR forged", LogText.of("a\u0000b\u001b[31mred\u001b[0m\n"
        + "2026-01-01 ERROR forged"));
    assertEquals("\\x7f\\x85\\u2028\\u202e", LogText.of("\u007f\u0085\u2028\u202e"), "DEL, C1, separators, bidi");
    assertEquals("plain text, unchanged: é ü 漢", LogText.of("plain text, unchanged: é ü 漢"));
    assertEquals("null", LogText.of(null));
  }

  @Test
  void longTextIsCutAndSaysHowLongItWas() {
    String cut = LogText.of("x".repeat(10_000));
    assertTrue(cut.startsWith("x".repeat(LogText.FIELD) + "... (10000 characters)"), cut);
    assertEquals(LogText.FIELD + "... (10000 characters)".length(), cut.length());
  }

  @Test
  void theLogLayoutEscapesEveryMessage() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger logger = ctx.getLogger("test");
    SafeLogMessage converter = new SafeLogMessage();
    LoggingEvent e = new LoggingEvent("x", logger, Level.WARN, "bad header {}", null,
        new Object[] {"v\r\nINFO forged line\u0000"});
    String line = converter.convert(e);
    assertEquals("bad header v\\x0d\\x0aINFO forged line\\x00", line);
    assertFalse(line.contains("\n"));
    LoggingEvent huge = new LoggingEvent("x", logger, Level.WARN, "{}", null, new Object[] {"y".repeat(100_000)});
    assertTrue(converter.convert(huge).length() < SafeLogMessage.MAX + 40);
  }

  @Test
  void pekkosWarningsThatAClientCausesAreRateLimited() {
    ClientNoiseFilter filter = new ClientNoiseFilter();
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger pekko = ctx.getLogger("org.apache.pekko.actor.ActorSystemImpl");
    String early = "Sending an 2xx 'early' response before end of request for http://x/ received...";
    assertEquals(ch.qos.logback.core.spi.FilterReply.NEUTRAL, filter.decide(null, pekko, Level.WARN, early, null, null));
    for (int i = 0; i < 100; i++) {
      assertEquals(ch.qos.logback.core.spi.FilterReply.DENY, filter.decide(null, pekko, Level.WARN, "{}",
          new Object[] {early}, null));
    }
    assertEquals(ch.qos.logback.core.spi.FilterReply.NEUTRAL, filter.decide(null, pekko, Level.WARN,
        "another warning", null, null), "other warnings pass");
  }

  @Test
  void aRepeatedWarningIsLoggedOncePerIntervalWithTheCountLeftOut() throws Exception {
    org.slf4j.Logger log = LoggerFactory.getLogger("org.opentela.test.RateLimited");
    RateLimitedLog limited = new RateLimitedLog(log, Duration.ofMillis(300));
    try (LogCapture capture = new LogCapture()) {
      for (int i = 0; i < 1000; i++) {
        limited.warn("kind-a", "bad request " + i);
      }
      limited.warn("kind-b", "another kind");
      Thread.sleep(400);
      limited.warn("kind-a", "after the interval");
      List<String> lines = new ArrayList<>(capture.find(Level.WARN, ""));
      lines.removeIf(l -> !l.contains("bad request") && !l.contains("another kind") && !l.contains("after the"));
      assertEquals(List.of("bad request 0", "another kind",
          "after the interval (999 more like this since the last one, not logged)"), lines);
    }
  }
}
