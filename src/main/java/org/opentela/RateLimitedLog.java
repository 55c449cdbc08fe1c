package org.opentela;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * Warnings that a client can cause many times a second (a malformed request, a connection over a limit)
 * logged at most once per kind per interval; the next line of that kind says how many were left out.
 * A kind is a constant of the caller, never request text. Thread-safe.
 */
public final class RateLimitedLog {
  private final Logger log;
  private final long intervalNanos;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  private static final class Window {
    long startNanos;
    long suppressed;
    boolean started;
  }

  public RateLimitedLog(Logger log, Duration interval) {
    this.log = log;
    this.intervalNanos = interval.toNanos();
  }

  /** Logs {@code message} at WARN unless a {@code kind} line was logged less than an interval ago. */
  public void warn(String kind, String message) {
    long suppressed = admit(kind);
    if (suppressed < 0) {
      return;
    }
    if (suppressed == 0) {
      log.warn(message);
    } else {
      log.warn("{} ({} more like this since the last one, not logged)", message, suppressed);
    }
  }

  /** -1 if this event is suppressed, else how many of its kind were suppressed before it. */
  long admit(String kind) {
    Window w = windows.computeIfAbsent(kind, k -> new Window());
    long now = System.nanoTime();
    synchronized (w) {
      if (w.started && now - w.startNanos < intervalNanos) {
        w.suppressed++;
        return -1;
      }
      long before = w.suppressed;
      w.started = true;
      w.startNanos = now;
      w.suppressed = 0;
      return before;
    }
  }
}
