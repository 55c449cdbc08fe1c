package org.opentela.routing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link CacheAware} derives from a candidate list, kept while the list lives: each provider's peer
 * hash in a primitive array (rendezvous hashing then reads no String) and its position by peer id (a
 * prefix's holders are then found without a scan). A candidate list is the same object for as long as a
 * table snapshot lasts ({@link ProviderIndex.ServiceProviders#exact}), so entries are found by identity;
 * an entry is built on a list's second use, so a list made for one request (a retry's filtered list) costs
 * nothing. A few lists are kept (one per model in use, roughly), the oldest replaced first.
 *
 * <p>Not thread-safe: owned by one router.
 */
final class CandidateCache {
  static final int SIZE = 8;

  /** A candidate list's peer hashes ({@link CacheAware#peerHash}) and positions. */
  static final class Entry {
    final List<Provider> list;
    final long[] peerHashes;
    final Map<String, Integer> positions;

    Entry(List<Provider> list) {
      this.list = list;
      this.peerHashes = new long[list.size()];
      this.positions = new HashMap<>(list.size() * 2);
      for (int i = 0; i < peerHashes.length; i++) {
        String id = list.get(i).peerId();
        peerHashes[i] = CacheAware.peerHash(id);
        positions.putIfAbsent(id, i);
      }
    }

    /** The provider with this peer id in the list, or null. */
    Provider find(String peerId) {
      Integer i = positions.get(peerId);
      return i == null ? null : list.get(i);
    }
  }

  private final Entry[] entries = new Entry[SIZE];
  private int next;
  private List<Provider> seenOnce;

  /** The entry for {@code list}, or null if it is not worth one (yet). */
  Entry get(List<Provider> list) {
    for (Entry e : entries) {
      if (e != null && e.list == list) {
        return e;
      }
    }
    if (seenOnce != list) {
      seenOnce = list;
      return null;
    }
    Entry e = new Entry(list);
    entries[next] = e;
    next = (next + 1) % SIZE;
    return e;
  }
}
