package org.opentela.routing;

/**
 * Settings of the {@code cache-aware} policy ({@link CacheAware}), read from {@code otela.routing.*}.
 *
 * @param balanceAbsThreshold a worker is overloaded only if its outstanding requests exceed the least
 *     loaded worker's by more than this many
 * @param balanceRelThreshold ... and by more than this factor
 * @param prefixIndexSize prompt prefixes (block chains) a head remembers
 * @param cacheThreshold the fraction of a prompt's blocks the longest match must cover for the prompt to
 *     follow it; a prompt that shares less (a short common preamble before unique text) goes by load
 */
public record CacheAwareSettings(int balanceAbsThreshold, double balanceRelThreshold, int prefixIndexSize,
    double cacheThreshold) {
  public static final CacheAwareSettings DEFAULTS = new CacheAwareSettings(4, 1.5, 65_536, 0.3);

  public CacheAwareSettings {
    if (balanceAbsThreshold < 0) {
      throw new IllegalArgumentException("balanceAbsThreshold: " + balanceAbsThreshold + " (expected: >= 0)");
    }
    if (!(balanceRelThreshold >= 1)) {
      throw new IllegalArgumentException("balanceRelThreshold: " + balanceRelThreshold + " (expected: >= 1)");
    }
    if (prefixIndexSize < 1) {
      throw new IllegalArgumentException("prefixIndexSize: " + prefixIndexSize + " (expected: >= 1)");
    }
    if (!(cacheThreshold >= 0 && cacheThreshold <= 1)) {
      throw new IllegalArgumentException("cacheThreshold: " + cacheThreshold + " (expected: 0..1)");
    }
  }
}
