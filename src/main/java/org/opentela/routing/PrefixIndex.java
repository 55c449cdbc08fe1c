package org.opentela.routing;

/**
 * Which workers recently served which prompt prefix, as this head routed them: a bounded map from a
 * prefix's block-chain hash ({@link Affinity#prefix(int)}) to the last few workers sent a request starting
 * with it. It is this head's approximation of the workers' caches (they evict on their own), in the spirit
 * of SGLang's approximate radix tree, on fixed blocks instead of characters.
 *
 * <p>Memory is bounded whatever clients send: a set-associative table of {@code capacity} entries (rounded
 * up to a power of two), {@value #WAYS} ways per set, the least recently used entry of a set replaced
 * first (an approximation of LRU over the whole table). About 30 bytes an entry, plus the holder arrays,
 * which the entries a request writes share. A lookup or a write reads one set: no allocation, no boxing,
 * so a request's 64 probes and writes take a microsecond or two. A worker that leaves is simply never
 * matched again and ages out.
 *
 * <p>Not thread-safe: owned by one router.
 */
final class PrefixIndex {
  /** Workers remembered per prefix: a hot prefix that load spread over several workers stays on them. */
  static final int MAX_HOLDERS = 4;
  static final int WAYS = 8;

  /** The longest prefix of a request found in the index: its length in blocks and who holds it. */
  record Match(int blocks, String[] holders) {}

  private final long[] keys;
  private final long[] used; // when each entry was last read or written; 0 = empty
  private final String[][] holders;
  private final int setMask;
  private long clock;
  private int size;

  PrefixIndex(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 1)");
    }
    int sets = Integer.highestOneBit(Math.max(1, (capacity + WAYS - 1) / WAYS));
    if (sets * WAYS < capacity) {
      sets <<= 1;
    }
    this.setMask = sets - 1;
    this.keys = new long[sets * WAYS];
    this.used = new long[sets * WAYS];
    this.holders = new String[sets * WAYS][];
  }

  /** The longest of the request's prefixes present, most recent holder first; null if none. */
  Match longest(Affinity a) {
    for (int i = a.prefixBlocks() - 1; i >= 0; i--) {
      int slot = find(a.prefix(i));
      if (slot >= 0) {
        used[slot] = ++clock;
        return new Match(i + 1, holders[slot]);
      }
    }
    return null;
  }

  /**
   * {@code peerId} now serves the request's prompt: it becomes the most recent holder of each of its
   * prefixes. {@code match} is what {@link #longest} found for it: if this worker was its most recent
   * holder, the prefixes up to it name this worker already, so only the longer ones are written.
   */
  void record(Affinity a, Match match, String peerId) {
    int from = match != null && match.holders()[0].equals(peerId) ? match.blocks() : 0;
    String[] alone = null; // shared by every entry this request creates
    for (int i = from; i < a.prefixBlocks(); i++) {
      long key = a.prefix(i);
      int slot = find(key);
      if (slot < 0) {
        if (alone == null) {
          alone = new String[] {peerId};
        }
        slot = victim(key);
        if (used[slot] == 0) {
          size++;
        }
        keys[slot] = key;
        holders[slot] = alone;
      } else {
        holders[slot] = withFirst(holders[slot], peerId);
      }
      used[slot] = ++clock;
    }
  }

  /** Entries in use. */
  int size() {
    return size;
  }

  /** How many entries the table holds at most. */
  int capacity() {
    return keys.length;
  }

  private int find(long key) {
    int base = set(key);
    for (int w = base; w < base + WAYS; w++) {
      if (keys[w] == key && used[w] != 0) {
        return w;
      }
    }
    return -1;
  }

  /** An empty way of the key's set, else its least recently used. */
  private int victim(long key) {
    int base = set(key);
    int oldest = base;
    for (int w = base; w < base + WAYS; w++) {
      if (used[w] < used[oldest]) {
        oldest = w;
      }
    }
    return oldest;
  }

  private int set(long key) {
    return (int) ((key ^ (key >>> 32)) & setMask) * WAYS;
  }

  /** {@code holders} with {@code peerId} first, at most {@link #MAX_HOLDERS} long (the oldest dropped). */
  private static String[] withFirst(String[] holders, String peerId) {
    int at = -1;
    for (int i = 0; i < holders.length; i++) {
      if (holders[i].equals(peerId)) {
        at = i;
        break;
      }
    }
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
}
