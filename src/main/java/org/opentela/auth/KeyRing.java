package org.opentela.auth;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of the pool's API keys, by id, swapped whole when the replicated set changes.
 * The request path reads the latest one without asking an actor.
 */
public record KeyRing(Map<String, ApiKey> byId) {
  public static final KeyRing EMPTY = new KeyRing(Map.of());

  public KeyRing {
    byId = Map.copyOf(byId);
  }

  /** This ring with {@code key} added or replaced. */
  public KeyRing with(ApiKey key) {
    java.util.Map<String, ApiKey> next = new java.util.HashMap<>(byId);
    next.put(key.id(), key);
    return new KeyRing(next);
  }

  public ApiKey get(String id) {
    return byId.get(id);
  }

  /** The key with this id, or the active key with this name; null if none. */
  public ApiKey find(String idOrName, long nowSeconds) {
    ApiKey k = byId.get(idOrName);
    if (k != null) {
      return k;
    }
    for (ApiKey a : byId.values()) {
      if (a.name().equals(idOrName) && a.active(nowSeconds)) {
        return a;
      }
    }
    return null;
  }

  /** All keys, oldest first. */
  public List<ApiKey> sorted() {
    List<ApiKey> all = new ArrayList<>(byId.values());
    all.sort(Comparator.comparingLong((ApiKey k) -> k.validity().createdAt()).thenComparing(ApiKey::id));
    return all;
  }

  /** The name usage and metrics show for a key id (the id itself for a key this node has not seen). */
  public String nameOf(String id) {
    ApiKey k = byId.get(id);
    return k == null ? id : k.name();
  }
}
