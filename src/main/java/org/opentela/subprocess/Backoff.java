package org.opentela.subprocess;

import java.time.Duration;

/**
 * Restart delays of a backend: {@code first}, doubling with every exit up to {@code max}, and back to
 * {@code first} after the backend stayed healthy for a while (the caller decides when and calls
 * {@link #reset()}). Immutable.
 *
 * @param attempt how many delays were handed out since the last reset
 */
record Backoff(Duration first, Duration max, int attempt) {

  Backoff {
    if (first.isNegative() || first.isZero()) {
      throw new IllegalArgumentException("first: " + first + " (expected: > 0)");
    }
    if (max.compareTo(first) < 0) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= " + first + ")");
    }
    if (attempt < 0) {
      throw new IllegalArgumentException("attempt: " + attempt + " (expected: >= 0)");
    }
  }

  static Backoff of(Duration first, Duration max) {
    return new Backoff(first, max, 0);
  }

  /** The delay before the next restart: {@code first * 2^attempt}, at most {@code max}. */
  Duration delay() {
    // Past 2^30 the doubling would overflow long nanos; max is reached long before that anyway.
    if (attempt >= 30) {
      return max;
    }
    Duration d = first.multipliedBy(1L << attempt);
    return d.compareTo(max) > 0 ? max : d;
  }

  /** The backoff after one more delay was handed out. */
  Backoff next() {
    return new Backoff(first, max, attempt == Integer.MAX_VALUE ? attempt : attempt + 1);
  }

  Backoff reset() {
    return new Backoff(first, max, 0);
  }
}
