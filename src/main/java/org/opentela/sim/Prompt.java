package org.opentela.sim;

/**
 * A request's prompt as the simulated engine sees it: its estimated length in tokens, and the hashes of its
 * full KV-cache blocks ({@link PrefixCache#BLOCK_TOKENS} tokens each) in order. Block {@code i}'s hash covers
 * the block and everything before it (a chain), so equal hashes mean equal prefixes, as in vLLM's automatic
 * prefix caching.
 *
 * <p>The sim has no tokenizer: a block of text is {@link #CHARS_PER_TOKEN} × BLOCK_TOKENS characters of the
 * prompt as a chat template renders it; a block of token ids is BLOCK_TOKENS ids.
 */
record Prompt(int tokens, long[] blocks) {
  static final int CHARS_PER_TOKEN = 4;
  private static final long[] NONE = new long[0];

  /** A prompt of {@code tokens} tokens that shares no block with any other (too short, or not hashed). */
  static Prompt unhashed(int tokens) {
    return new Prompt(tokens, NONE);
  }

  /** The blocks of {@code text} (a rendered prompt): every full block of characters, chained. */
  static long[] textBlocks(CharSequence text) {
    int size = PrefixCache.BLOCK_TOKENS * CHARS_PER_TOKEN;
    long[] out = new long[text.length() / size];
    long chain = 0x6a09e667f3bcc909L;
    for (int b = 0; b < out.length; b++) {
      long h = 0xcbf29ce484222325L; // FNV-1a over the block's characters
      for (int i = b * size, end = i + size; i < end; i++) {
        h = (h ^ text.charAt(i)) * 0x100000001b3L;
      }
      chain = mix(chain * 31 + h);
      out[b] = chain;
    }
    return out;
  }

  /** The blocks of a prompt given as token ids: every full block of ids, chained. */
  static long[] idBlocks(long[] ids) {
    long[] out = new long[ids.length / PrefixCache.BLOCK_TOKENS];
    long chain = 0xbb67ae8584caa73bL;
    for (int b = 0; b < out.length; b++) {
      long h = 0xcbf29ce484222325L;
      for (int i = b * PrefixCache.BLOCK_TOKENS; i < (b + 1) * PrefixCache.BLOCK_TOKENS; i++) {
        h = (h ^ ids[i]) * 0x100000001b3L;
      }
      chain = mix(chain * 31 + h);
      out[b] = chain;
    }
    return out;
  }

  /** SplitMix64's finalizer: spreads every input bit over the whole hash. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
