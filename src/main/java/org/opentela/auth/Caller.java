package org.opentela.auth;

import org.opentela.ApiError;

/** Who sent a request, as its {@code Authorization} header says. */
public sealed interface Caller {
  Caller ADMIN = new Admin();

  /** The admin key: every path, no limits. */
  record Admin() implements Caller {}

  /** A valid, active API key. */
  record Client(ApiKey key) implements Caller {}

  /** No valid key: the client's error, and for a throttled source how long to wait. */
  record Refused(ApiError.Problem problem, long retryAfterSeconds) implements Caller {}
}
