package org.opentela.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.util.Locale;
import org.opentela.config.UsageException;
import org.slf4j.LoggerFactory;

/**
 * The process's logback set-up. {@code --log.level}: otela's own lines at that level; Pekko's stay at WARN (its INFO lines are
 * membership and split-brain chatter a user need not read) unless the level is debug, which shows both.
 * logback.xml sets the same defaults from the environment; a flag given here wins.
 */
final class Logging {
  private Logging() {}

  /** Applies {@code level} ("" leaves logback.xml's levels alone). */
  static void apply(String level) {
    if (level.isBlank()) {
      return;
    }
    Level otela = Level.toLevel(level.trim().toUpperCase(Locale.ROOT), null);
    if (otela == null || !level.trim().toLowerCase(Locale.ROOT).matches("error|warn|info|debug")) {
      throw new UsageException("--log.level: '" + level + "' (expected: one of error, warn, info, debug)");
    }
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another SLF4J binding (a test harness): it has its own levels
    }
    context.getLogger("org.opentela").setLevel(otela);
    Level pekko = otela == Level.DEBUG ? Level.INFO : Level.WARN.isGreaterOrEqual(otela) ? Level.WARN : otela;
    context.getLogger("org.apache.pekko").setLevel(pekko);
    context.getLogger("org.apache.pekko.cluster.sbr").setLevel(pekko);
  }

  /**
   * Writes out what the asynchronous appender still holds and stops logging, before the process exits:
   * {@code System.exit} would otherwise lose the queue, and with it the last lines, such as why a node could
   * not join. Waits up to the appender's maxFlushTime (logback.xml).
   */
  static void drain() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.stop();
    }
  }
}
