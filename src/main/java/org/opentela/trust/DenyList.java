package org.opentela.trust;

import java.util.Set;

/**
 * The peer ids revoked from the pool, as this node last heard them from the replicated deny list
 * ({@link Revocations}). Read by the cluster transport's TLS engine at every handshake, which runs
 * outside any actor: this is the one hand-over point, an immutable set swapped whole.
 */
public final class DenyList {
  private volatile Set<String> revoked = Set.of();

  public boolean contains(String peerId) {
    return peerId != null && revoked.contains(peerId);
  }

  public Set<String> all() {
    return revoked;
  }

  void replace(Set<String> ids) {
    revoked = Set.copyOf(ids);
  }
}
