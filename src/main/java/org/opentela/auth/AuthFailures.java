package org.opentela.auth;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Requests with a wrong or missing key, per source address: a source with more than {@code perMinute}
 * of them in the last 60 s is refused outright (every request, even one with a valid key, so that
 * guessing cannot go on) until its failures age out. Keys have 256 random bits, so guessing one is
 * hopeless anyway; this keeps failed attempts cheap and out of the log, and protects a weak admin key.
 * Remembers at most {@value #MAX_SOURCES} sources.
 */
final class AuthFailures {
  static final int MAX_SOURCES = 10_000;
  private static final long MINUTE = 60_000_000_000L;

  /** The times of a source's last {@code perMinute + 1} failures, in a ring. */
  private static final class Recent {
    final long[] times;
    int next;
    int count;

    Recent(int size) {
      times = new long[size];
    }

    synchronized void add(long now) {
      times[next] = now;
      next = (next + 1) % times.length;
      count = Math.min(count + 1, times.length);
    }

    /** The oldest of the remembered failures when the ring is full, else null. */
    synchronized Long oldestIfFull() {
      return count < times.length ? null : times[next];
    }

    synchronized long newest() {
      return times[Math.floorMod(next - 1, times.length)];
    }
  }

  private final int perMinute;
  private final LongSupplier clock;
  private final Map<String, Recent> failures = new ConcurrentHashMap<>();

  AuthFailures(int perMinute, LongSupplier clock) {
    this.perMinute = perMinute;
    this.clock = clock;
  }

  /** Nanoseconds until {@code source} may try again; 0 when it may now. */
  long blockedFor(String source) {
    Recent r = perMinute <= 0 ? null : failures.get(source);
    Long oldest = r == null ? null : r.oldestIfFull();
    return oldest == null ? 0 : Math.max(0, oldest + MINUTE - clock.getAsLong());
  }

  void failed(String source) {
    if (perMinute <= 0) {
      return;
    }
    long now = clock.getAsLong();
    if (failures.size() >= MAX_SOURCES && !failures.containsKey(source)) {
      failures.values().removeIf(r -> now - r.newest() > MINUTE);
      if (failures.size() >= MAX_SOURCES) {
        failures.clear();
      }
    }
    failures.computeIfAbsent(source, k -> new Recent(perMinute + 1)).add(now);
  }

  int perMinute() {
    return perMinute;
  }
}
