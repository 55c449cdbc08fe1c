package org.opentela.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine's prefix cache: what it counts, what it reuses, what it evicts, and what that does to the first token. */
class SimPrefixCacheTest {
  private final ManualClock clock = new ManualClock();

  /** A prompt of {@code blocks} full blocks whose block {@code i} is {@code ids[i]}, chained as the sim does. */
  private static Prompt prompt(int tokens, long... ids) {
    long[] tokenIds = new long[ids.length * PrefixCache.BLOCK_TOKENS];
    for (int b = 0; b < ids.length; b++) {
      Arrays.fill(tokenIds, b * PrefixCache.BLOCK_TOKENS, (b + 1) * PrefixCache.BLOCK_TOKENS, ids[b]);
    }
    return new Prompt(tokens, Prompt.idBlocks(tokenIds));
  }

  private static final class FirstToken implements Generation.Listener {
    volatile boolean out;

    @Override
    public void onProgress(int generated, boolean finished) {
      out = true;
    }
  }

  @Test
  void countsQueriedAndCachedTokensAsVllmDoes() {
    PrefixCache cache = new PrefixCache(1024);
    Prompt p = prompt(70, 1, 2, 3, 4); // 4 blocks = 64 tokens of a 70-token prompt
    assertEquals(0, cache.lookup(p), "empty cache");
    cache.insert(p);
    assertEquals(64, cache.lookup(p), "every full block is reused");
    assertEquals(140, cache.queries());
    assertEquals(64, cache.hits());
  }

  @Test
  void neverReusesThePromptsLastToken() {
    PrefixCache cache = new PrefixCache(1024);
    Prompt exact = prompt(64, 1, 2, 3, 4); // the prompt is exactly 4 blocks long
    cache.insert(exact);
    assertEquals(48, cache.lookup(exact), "the last block holds the last token: recomputed, as in vLLM");
    assertEquals(0, cache.lookup(prompt(1, 1)), "a one-token prompt is always computed");
  }

  @Test
  void reusesOnlyTheBlocksThePromptStartsWith() {
    PrefixCache cache = new PrefixCache(1024);
    cache.insert(prompt(100, 1, 2, 3, 4, 5));
    assertEquals(32, cache.lookup(prompt(100, 1, 2, 9, 4, 5)), "blocks after the first difference never match");
    assertEquals(0, cache.lookup(prompt(100, 9, 2, 3, 4, 5)), "same later blocks behind another start are other blocks");
  }

  @Test
  void evictsTheLeastRecentlyUsedBlocksBeyondItsCapacity() {
    PrefixCache cache = new PrefixCache(4 * PrefixCache.BLOCK_TOKENS + 15); // 4 blocks: the rest is no block
    assertEquals(4, cache.capacityBlocks());
    Prompt a = prompt(100, 1, 2);
    Prompt b = prompt(100, 3, 4);
    cache.insert(a);
    cache.insert(b);
    assertEquals(32, cache.lookup(a), "a is now the most recently used");
    cache.insert(prompt(100, 5, 6));
    assertEquals(4, cache.cachedBlocks());
    assertEquals(32, cache.lookup(a));
    assertEquals(0, cache.lookup(b), "b was the least recently used");
  }

  @Test
  void zeroCapacityCachesNothingButStillCountsQueries() {
    PrefixCache cache = new PrefixCache(0);
    Prompt p = prompt(100, 1, 2);
    cache.insert(p);
    assertEquals(0, cache.lookup(p));
    assertEquals(100, cache.queries());
    assertEquals(0, cache.hits());
  }

  @Test
  void resetForgetsTheBlocksAndKeepsTheCounters() {
    PrefixCache cache = new PrefixCache(1024);
    Prompt p = prompt(100, 1, 2);
    cache.insert(p);
    assertEquals(32, cache.lookup(p));
    cache.reset();
    assertEquals(0, cache.lookup(p));
    assertEquals(200, cache.queries());
    assertEquals(32, cache.hits());
  }

  @Test
  void onlyUncachedTokensCostPrefillTime() {
    // ttft 10 ms + 100 ms per 1,000 uncached tokens; 1,000-token prompt of 62 full blocks (992 tokens).
    Engine e = new Engine("m", new LatencyModel(10, 5, 8, 100), new PrefixCache(10_000));
    long[] ids = new long[1000];
    Arrays.setAll(ids, i -> i);
    Prompt p = new Prompt(1000, Prompt.idBlocks(ids));
    FirstToken first = new FirstToken();
    Generation cold = new Generation(e, 1, p, clock, first);
    cold.start();
    clock.advanceMillis(109);
    assertTrue(!first.out, "10 + 100 * 1000/1000 = 110 ms");
    clock.advanceMillis(1);
    assertTrue(first.out);
    assertEquals(0, cold.cachedTokens());

    FirstToken second = new FirstToken();
    Generation warm = new Generation(e, 1, p, clock, second);
    warm.start();
    assertEquals(992, warm.cachedTokens());
    clock.advanceMillis(10);
    assertTrue(!second.out, "10 + 100 * 8/1000 = 10.8 ms");
    clock.advanceMillis(1);
    assertTrue(second.out);
    assertEquals(2000, e.prefixCache().queries());
    assertEquals(992, e.prefixCache().hits());
  }

  @Test
  void aPromptIsCachedOnlyOnceItsPrefillIsDone() {
    Engine e = new Engine("m", new LatencyModel(10, 5, 8, 100), new PrefixCache(10_000));
    Prompt p = prompt(200, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    Generation a = new Generation(e, 3, p, clock, new FirstToken());
    Generation b = new Generation(e, 3, p, clock, new FirstToken());
    a.start();
    clock.advanceMillis(5);
    b.start(); // a is still in prefill: nothing to reuse yet
    assertEquals(0, b.cachedTokens());
    clock.advanceMillis(100);
    Generation c = new Generation(e, 3, p, clock, new FirstToken());
    c.start();
    assertEquals(192, c.cachedTokens());
  }

  @Test
  void aConversationsNextTurnReusesItsPreviousPrompt() {
    String system = "You are a careful assistant. ".repeat(20);
    String turn1 = "{\"messages\":[{\"role\":\"system\",\"content\":\"" + system + "\"},"
        + "{\"role\":\"user\",\"content\":\"" + "What is a KV cache? ".repeat(10) + "\"}]}";
    String turn2 = turn1.substring(0, turn1.length() - 2) + ",{\"role\":\"assistant\",\"content\":\"It keeps"
        + " attention keys and values.\"},{\"role\":\"user\",\"content\":\"And a prefix cache?\"}]}";
    Prompt p1 = SimRequest.parse(SimRequest.Kind.CHAT, turn1.getBytes(StandardCharsets.UTF_8)).prompt();
    Prompt p2 = SimRequest.parse(SimRequest.Kind.CHAT, turn2.getBytes(StandardCharsets.UTF_8)).prompt();
    assertTrue(p1.blocks().length >= 10, "about 800 characters: " + p1.blocks().length + " blocks");
    assertTrue(p2.blocks().length > p1.blocks().length);
    assertArrayEquals(p1.blocks(), Arrays.copyOf(p2.blocks(), p1.blocks().length), "turn 2 starts with turn 1");
    String other = turn1.replace("careful", "cheerful");
    Prompt p3 = SimRequest.parse(SimRequest.Kind.CHAT, other.getBytes(StandardCharsets.UTF_8)).prompt();
    List<Long> shared = new ArrayList<>();
    for (int i = 0; i < p3.blocks().length; i++) {
      if (p3.blocks()[i] == p1.blocks()[i]) {
        shared.add(p3.blocks()[i]);
      }
    }
    assertEquals(List.of(), shared, "a different first block changes every block after it");
  }
}
