package org.opentela.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Captures what otela's own loggers write in this JVM while it is open, for asserting on log messages. */
public final class LogCapture implements AutoCloseable {
  private final Logger logger = (Logger) LoggerFactory.getLogger("org.opentela");
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  public LogCapture() {
    appender.start();
    logger.addAppender(appender);
  }

  /** Formatted messages at {@code level} or above that contain every one of {@code parts}. */
  public List<String> find(Level level, String... parts) {
    List<ILoggingEvent> events;
    synchronized (appender.list) {
      events = List.copyOf(appender.list);
    }
    return events.stream().filter(e -> e.getLevel().isGreaterOrEqual(level)).map(ILoggingEvent::getFormattedMessage)
        .filter(m -> {
          for (String p : parts) {
            if (!m.contains(p)) {
              return false;
            }
          }
          return true;
        }).toList();
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
