package org.opentela.auth;

/**
 * An admitted request's hold on its key's limits, given back once with {@link Limiter#release}. A ticket
 * never given back (a response the server dropped before it started) is reclaimed after the request
 * timeout, so a lost stream cannot take a slot of a key for good.
 */
public final class Ticket {
  /** For keys without rate limits: nothing to give back. */
  static final Ticket NONE = new Ticket(null, 0);

  final KeyLimit owner;
  final long admittedNanos;
  boolean released;

  Ticket(KeyLimit owner, long admittedNanos) {
    this.owner = owner;
    this.admittedNanos = admittedNanos;
  }
}
