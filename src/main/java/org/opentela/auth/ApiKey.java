package org.opentela.auth;

import static java.util.Objects.requireNonNull;

import org.opentela.CborSerializable;

/**
 * One API key as the pool stores it: never its secret, only the secret's SHA-256 ({@link KeySecrets}).
 * Replicated to every node by {@link KeyKeeper}; a revoked key stays (with {@code revokedAt}) so that its
 * usage keeps a name.
 *
 * @param id         8 characters, also the start of the key itself ({@code sk-otela-<id>-<secret>}), so a
 *                   key is looked up without comparing it with every stored hash
 * @param secretHash base64 of SHA-256 of the secret part
 */
public record ApiKey(String id, String name, String secretHash, Limits limits, Validity validity)
    implements CborSerializable {

  /** When the key was made, expires and was revoked: epoch seconds, 0 for never. */
  public record Validity(long createdAt, long expiresAt, long revokedAt) implements CborSerializable {
    boolean expired(long nowSeconds) {
      return expiresAt > 0 && nowSeconds >= expiresAt;
    }
  }

  public ApiKey {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    requireNonNull(secretHash, "secretHash");
    requireNonNull(limits, "limits");
    requireNonNull(validity, "validity");
  }

  public boolean revoked() {
    return validity.revokedAt() > 0;
  }

  /** Neither revoked nor expired at {@code nowSeconds}. */
  public boolean active(long nowSeconds) {
    return !revoked() && !validity.expired(nowSeconds);
  }

  /** "active", "revoked" or "expired", for listings. */
  public String status(long nowSeconds) {
    return revoked() ? "revoked" : validity.expired(nowSeconds) ? "expired" : "active";
  }

  ApiKey revokedAt(long nowSeconds) {
    return new ApiKey(id, name, secretHash, limits,
        new Validity(validity.createdAt(), validity.expiresAt(), Math.max(1, nowSeconds)));
  }
}
