package org.opentela;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.time.Duration;
import java.util.List;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Pekko's own warnings that any client can cause at will, rate-limited like otela's
 * ({@link RateLimitedLog}): at most one per kind every 10 s, then a line saying how many were left out.
 * A malformed request stream once wrote such a line per request. Registered in logback.xml.
 */
public final class ClientNoiseFilter extends TurboFilter {
  /** Message beginnings of Pekko warnings a client triggers (each is one kind). */
  static final List<String> KINDS = List.of(
      "Sending an 2xx 'early' response before end of request");

  private final RateLimitedLog limiter =
      new RateLimitedLog(LoggerFactory.getLogger(ClientNoiseFilter.class), Duration.ofSeconds(10));

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level != Level.WARN || format == null || logger.getName().startsWith("org.opentela")) {
      return FilterReply.NEUTRAL;
    }
    // Pekko's classic logging may pass its message as the single argument of "{}".
    String text = format.equals("{}") && params != null && params.length == 1 ? String.valueOf(params[0]) : format;
    for (String kind : KINDS) {
      if (text.startsWith(kind)) {
        long suppressed = limiter.admit(kind);
        if (suppressed < 0) {
          return FilterReply.DENY;
        }
        if (suppressed > 0) {
          LoggerFactory.getLogger(ClientNoiseFilter.class).warn("{} more Pekko warnings \"{}...\" since the last one,"
              + " not logged", suppressed, kind);
        }
        return FilterReply.NEUTRAL;
      }
    }
    return FilterReply.NEUTRAL;
  }
}
