package org.opentela.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class PrefixIndexTest {
  /** A request whose prompt has {@code blocks} blocks, the first {@code shared} of them shared with "base". */
  private static Affinity prompt(String base, int shared, String rest, int blocks) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < blocks; i++) {
      String fill = (i < shared ? base : rest) + i;
      text.append(fill.repeat(PromptPrefix.BLOCK_CHARS / fill.length() + 1), 0, PromptPrefix.BLOCK_CHARS);
    }
    MatchFields f = new MatchFields(java.util.Map.of(), java.util.Set.of(), PromptPrefix.ofText(text.toString()));
    return Affinity.of("llm", f, List.of());
  }

  @Test
  void theLongestRecordedPrefixWinsWithItsMostRecentHolderFirst() {
    PrefixIndex index = new PrefixIndex(1000);
    Affinity system = prompt("sys", 3, "", 3);
    Affinity conversation = prompt("sys", 3, "chat", 6);
    index.record(system, null, "w1");
    index.record(conversation, index.longest(conversation), "w2");
    PrefixIndex.Match m = index.longest(prompt("sys", 3, "chat", 8));
    assertEquals(6, m.blocks());
    assertArrayEquals(new String[] {"w2"}, m.holders());
    PrefixIndex.Match other = index.longest(prompt("sys", 3, "other", 8));
    assertEquals(3, other.blocks(), "another conversation on the same system prompt");
    assertArrayEquals(new String[] {"w2", "w1"}, other.holders());
    assertNull(index.longest(prompt("else", 0, "x", 5)));
  }

  @Test
  void holdersAreBoundedMostRecentFirst() {
    PrefixIndex index = new PrefixIndex(1000);
    Affinity a = prompt("p", 2, "", 2);
    for (String w : new String[] {"w1", "w2", "w3", "w4", "w5", "w3"}) {
      index.record(a, index.longest(a), w);
    }
    assertArrayEquals(new String[] {"w3", "w5", "w4", "w2"}, index.longest(a).holders());
  }

  @Test
  void memoryIsBoundedByForgettingTheLeastRecentlyUsed() {
    PrefixIndex index = new PrefixIndex(PrefixIndex.WAYS); // one set: exactly LRU
    Affinity old = prompt("old", 1, "", 1);
    Affinity kept = prompt("kept", 1, "", 1);
    index.record(old, null, "w1");
    index.record(kept, null, "w1");
    for (int i = 0; i < 20; i++) {
      index.record(prompt("new" + i, 1, "", 1), null, "w2");
      index.longest(kept); // used: kept
    }
    assertEquals(PrefixIndex.WAYS, index.size());
    assertNull(index.longest(old), "gone after 20 newer prefixes");
    assertEquals(1, index.longest(kept).blocks());
    assertEquals(1, index.longest(prompt("new19", 1, "", 1)).blocks());
    assertNull(index.longest(prompt("new0", 1, "", 1)));
  }

  @Test
  void capacityIsRoundedUpToWholeSets() {
    assertEquals(65_536, new PrefixIndex(65_536).capacity());
    assertEquals(16, new PrefixIndex(10).capacity());
    PrefixIndex index = new PrefixIndex(1024);
    for (int i = 0; i < 5000; i++) {
      index.record(prompt("p" + i, 2, "", 2), null, "w");
    }
    assertEquals(1024, index.size(), "full, never more");
  }
}
