package org.opentela.subprocess;

/**
 * The supervisor's clock of process starts: a new epoch begins whenever the backend starts, ends or is
 * given up, and every answer of the backend carries the epoch its request was made in, so that an answer
 * about an earlier process is recognised and dropped. Also remembers whether a request of the current
 * epoch is in flight: the supervisor makes one at a time. Owned by one supervisor; not thread-safe.
 */
final class Epoch {
  private long current;
  private boolean inFlight;

  /** Starts a new epoch (nothing is in flight in it yet) and returns it. */
  long next() {
    inFlight = false;
    return ++current;
  }

  long current() {
    return current;
  }

  /** Claims the one request slot of this epoch; false if a request is already in flight. */
  boolean claim() {
    if (inFlight) {
      return false;
    }
    inFlight = true;
    return true;
  }

  /** True if an answer made in {@code epoch} is current; it frees the request slot. */
  boolean answers(long epoch) {
    if (epoch != current) {
      return false;
    }
    inFlight = false;
    return true;
  }
}
