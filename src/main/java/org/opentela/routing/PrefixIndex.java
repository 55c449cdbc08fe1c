package org.opentela.routing;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which workers recently served which prompt prefix, as this head routed them: a bounded map from a
 * prefix's block-chain hash ({@link Affinity#prefix(int)}) to the last few workers sent a request starting
 * with it. Least recently used entries are evicted beyond {@code capacity}, so memory is bounded (about
 * 120 bytes an entry) whatever clients send; a worker that leaves is simply never matched again and ages
 * out. It is this head's approximation of the workers' caches (they evict on their own), in the spirit of
 * SGLang's approximate radix tree, on fixed blocks instead of characters.
 *
 * <p>Not thread-safe: owned by one router.
 */
final class PrefixIndex {
  /** Workers remembered per prefix: a hot prefix that load spread over several workers stays on them. */
  static final int MAX_HOLDERS = 4;

  /** The longest prefix of a request found in the index: its length in blocks and who holds it. */
  record Match(int blocks, String[] holders) {}

  private final int capacity;
  private final LinkedHashMap<Long, String[]> entries;

  PrefixIndex(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 1)");
    }
    this.capacity = capacity;
    this.entries = new LinkedHashMap<>(Math.min(capacity, 1 << 12), 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<Long, String[]> eldest) {
        return size() > PrefixIndex.this.capacity;
      }
    };
  }

  /** The longest of the request's prefixes present, most recent holder first; null if none. */
  Match longest(Affinity a) {
    for (int i = a.prefixBlocks() - 1; i >= 0; i--) {
      String[] holders = entries.get(a.prefix(i));
      if (holders != null) {
        return new Match(i + 1, holders);
      }
    }
    return null;
  }

  /**
   * {@code peerId} now serves the request's prompt: it becomes the most recent holder of each of its
   * prefixes. {@code match} is what {@link #longest} found for it: prefixes up to that one already name
   * this worker if it was among the holders, so only the longer ones are written.
   */
  void record(Affinity a, Match match, String peerId) {
    int from = 0;
    if (match != null && indexOf(match.holders(), peerId) == 0) {
      from = match.blocks(); // the match was touched by longest(); shorter prefixes name this worker already
    }
    for (int i = from; i < a.prefixBlocks(); i++) {
      Long key = a.prefix(i);
      String[] holders = entries.get(key);
      entries.put(key, withFirst(holders, peerId));
    }
  }

  int size() {
    return entries.size();
  }

  /** {@code holders} with {@code peerId} first, at most {@link #MAX_HOLDERS} long (the oldest dropped). */
  private static String[] withFirst(String[] holders, String peerId) {
    if (holders == null) {
      return new String[] {peerId};
    }
    int at = indexOf(holders, peerId);
    if (at == 0) {
      return holders;
    }
    int n = at > 0 ? holders.length : Math.min(holders.length + 1, MAX_HOLDERS);
    String[] out = new String[n];
    out[0] = peerId;
    for (int i = 0, j = 1; j < n; i++) {
      if (i != at) {
        out[j++] = holders[i];
      }
    }
    return out;
  }

  private static int indexOf(String[] holders, String peerId) {
    for (int i = 0; i < holders.length; i++) {
      if (holders[i].equals(peerId)) {
        return i;
      }
    }
    return -1;
  }
}
