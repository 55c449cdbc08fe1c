package org.opentela.proxy;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A thread-safe memo of {@code compute} for values that repeat (the few routers' reply-to refs, the few
 * Content-Types of backends): emptied whole when it reaches {@code limit}, so odd keys cannot grow it
 * and the common ones come back at once.
 */
final class BoundedCache<K, V> {
  private final ConcurrentHashMap<K, V> map = new ConcurrentHashMap<>();
  private final int limit;
  private final Function<K, V> compute;

  BoundedCache(int limit, Function<K, V> compute) {
    this.limit = limit;
    this.compute = compute;
  }

  V get(K key) {
    V v = map.get(key);
    if (v == null) {
      v = compute.apply(key);
      if (map.size() >= limit) {
        map.clear();
      }
      map.put(key, v);
    }
    return v;
  }
}
