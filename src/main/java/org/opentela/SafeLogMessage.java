package org.opentela;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The log layout's {@code %safemsg}: every message, ours and Pekko's, with {@link LogText#escape} applied and
 * cut to {@value #MAX} characters. One log event is one line, whatever text a request carried into it.
 */
public final class SafeLogMessage extends MessageConverter {
  static final int MAX = 8192;

  @Override
  public String convert(ILoggingEvent event) {
    return LogText.escape(super.convert(event), MAX);
  }
}
