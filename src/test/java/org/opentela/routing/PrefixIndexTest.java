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
    PrefixIndex index = new PrefixIndex(10);
    Affinity old = prompt("old", 2, "", 2);
    index.record(old, null, "w1");
    for (int i = 0; i < 20; i++) {
      Affinity a = prompt("new" + i, 1, "", 1);
      index.record(a, null, "w2");
      if (i == 3) {
        index.longest(old); // used: kept
      }
    }
    assertEquals(10, index.size());
    assertNull(index.longest(old), "gone after 20 newer prefixes");
    assertEquals(1, index.longest(prompt("new19", 1, "", 1)).blocks());
  }
}
