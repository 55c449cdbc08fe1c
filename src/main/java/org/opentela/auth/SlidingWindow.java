package org.opentela.auth;

import java.util.Arrays;

/**
 * A count over a sliding minute, in one-second slots: at second {@code s} it holds what was added in
 * seconds {@code s-60 .. s}, so any 60 s span lies inside the window, and a limit checked against it holds
 * for every 60 s span, not only for aligned minutes (a fixed window lets twice the limit through around
 * its boundary). The price is at most one second of caution. Time is in whole seconds of a monotonic
 * clock; a second before the newest one counts as the newest (the clock never goes back), and a jump
 * forward by a minute or more empties the window. Not thread-safe: {@link KeyLimit} guards it.
 */
final class SlidingWindow {
  static final int SECONDS = 60;
  private static final int SLOTS = SECONDS + 1;

  private final long[] slots = new long[SLOTS];
  private long newest;
  private long total;

  private static int index(long second) {
    return (int) Math.floorMod(second, (long) SLOTS);
  }

  private void advance(long second) {
    if (second <= newest) {
      return;
    }
    if (second - newest >= SLOTS) {
      Arrays.fill(slots, 0);
      total = 0;
    } else {
      for (long s = newest + 1; s <= second; s++) {
        int i = index(s);
        total -= slots[i];
        slots[i] = 0;
      }
    }
    newest = second;
  }

  void add(long second, long n) {
    advance(second);
    slots[index(newest)] += n;
    total += n;
  }

  long total(long second) {
    advance(second);
    return total;
  }

  /**
   * The second from which the total is at most {@code target} if nothing is added ({@code second} itself
   * when it already is): the second in which the slot that brings it there leaves the window.
   */
  long secondWhenAtMost(long second, long target) {
    advance(second);
    long remaining = total;
    if (remaining <= target) {
      return second;
    }
    for (long s = newest - SECONDS; s <= newest; s++) {
      remaining -= slots[index(s)];
      if (remaining <= target) {
        return s + SLOTS;
      }
    }
    return newest + SLOTS;
  }
}
