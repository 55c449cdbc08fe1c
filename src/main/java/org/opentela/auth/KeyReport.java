package org.opentela.auth;

import org.opentela.CborSerializable;

/**
 * What one node tells the others about one key every sync interval ({@link LimitSync}).
 *
 * @param requests requests it admitted since its last report
 * @param tokens   tokens its finished requests used since its last report
 * @param inFlight its requests in flight now
 * @param budget   what it may still admit before its next report (when several nodes share the key)
 * @param active   whether it had requests for the key since its last report, or has some in flight
 */
public record KeyReport(String keyId, long requests, long tokens, int inFlight, Budget budget, boolean active)
    implements CborSerializable {

  /** Admissions a node may still make in this interval: requests (RPM) and new requests in flight. */
  public record Budget(long requests, long slots) implements CborSerializable {
    static final Budget UNLIMITED = new Budget(Long.MAX_VALUE, Long.MAX_VALUE);
  }
}
