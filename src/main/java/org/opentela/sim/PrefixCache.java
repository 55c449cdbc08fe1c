package org.opentela.sim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One engine's prefix cache, as vLLM's automatic prefix caching keeps it: the KV of full blocks of
 * {@link #BLOCK_TOKENS} prompt tokens, known by their chained hash ({@link Prompt}), least recently used
 * evicted beyond the engine's KV capacity. A request reuses the longest run of cached blocks from the start
 * of its prompt, never its last token (vLLM recomputes it to get the first output's logits); its blocks are
 * cached once its prefill is done (at its first token).
 *
 * <p>Counts in tokens, as vLLM's {@code vllm:prefix_cache_queries} (prompt tokens looked up) and
 * {@code vllm:prefix_cache_hits} (of those, found cached). Simplification: blocks of running requests are
 * not pinned, and generated tokens are not cached (a conversation's next turn reuses its previous prompt,
 * not the answer). Thread-safe: one short critical section per call.
 */
final class PrefixCache {
  /** vLLM's default block size, in tokens. */
  static final int BLOCK_TOKENS = 16;

  private final int capacityBlocks;
  private final Map<Long, Boolean> blocks; // guarded by this; access order = LRU first
  private long queries; // guarded by this
  private long hits; // guarded by this

  /** A cache of {@code kvCacheTokens} tokens (rounded down to whole blocks); 0 disables prefix caching. */
  PrefixCache(int kvCacheTokens) {
    this.capacityBlocks = kvCacheTokens / BLOCK_TOKENS;
    this.blocks = new LinkedHashMap<>(Math.min(capacityBlocks, 1 << 16), 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
        return size() > capacityBlocks;
      }
    };
  }

  /**
   * Looks {@code prompt} up as the scheduler does when it admits the request: counts a query of its
   * tokens, marks the blocks it reuses as recently used, and returns how many of its tokens are cached.
   */
  synchronized int lookup(Prompt prompt) {
    queries += prompt.tokens();
    int reusable = Math.max(0, prompt.tokens() - 1) / BLOCK_TOKENS; // whole blocks before the last token
    int matched = 0;
    long[] hashes = prompt.blocks();
    while (matched < hashes.length && matched < reusable && blocks.get(hashes[matched]) != null) {
      matched++;
    }
    int cached = matched * BLOCK_TOKENS;
    hits += cached;
    return cached;
  }

  /** The prefill of {@code prompt} is done: its blocks are cached (most recently used), evicting the oldest. */
  synchronized void insert(Prompt prompt) {
    if (capacityBlocks == 0) {
      return;
    }
    for (long h : prompt.blocks()) {
      blocks.put(h, Boolean.TRUE);
    }
  }

  /** Forgets every block (vLLM's {@code POST /reset_prefix_cache}); the counters keep counting. */
  synchronized void reset() {
    blocks.clear();
  }

  synchronized long queries() {
    return queries;
  }

  synchronized long hits() {
    return hits;
  }

  synchronized int cachedBlocks() {
    return blocks.size();
  }

  int capacityBlocks() {
    return capacityBlocks;
  }
}
