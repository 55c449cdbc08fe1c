package org.opentela.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SelectionTest {
  private static final List<Provider> THREE = List.of(p("a", 0), p("b", 0), p("c", 0));

  private static Provider p(String id, double load) {
    return new Provider(id, null, load, false);
  }

  private static Map<String, Integer> counts(Selection s, List<Provider> ps, Map<String, Integer> inFlight, int n) {
    Map<String, Integer> c = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Provider p = s.pick(ps, id -> false, id -> false, id -> inFlight.getOrDefault(id, 0));
      c.merge(p.peerId(), 1, Integer::sum);
    }
    return c;
  }

  @Test
  void roundRobinTakesTurns() {
    Selection s = new Selection(Selection.Policy.ROUND_ROBIN, new Random(1));
    assertEquals(Map.of("a", 2, "b", 2, "c", 2), counts(s, THREE, Map.of(), 6));
  }

  @Test
  void randomSpreadsOverAll() {
    Map<String, Integer> c = counts(new Selection(Selection.Policy.RANDOM, new Random(1)), THREE, Map.of(), 3000);
    c.values().forEach(v -> assertTrue(v > 800 && v < 1200, c.toString()));
  }

  @Test
  void leastLoadedNeverPicksTheBusiestOfThree() {
    Map<String, Integer> inFlight = Map.of("a", 5, "b", 0, "c", 1);
    Map<String, Integer> c = counts(new Selection(Selection.Policy.LEAST_LOADED, new Random(1)), THREE, inFlight, 3000);
    assertNull(c.get("a"), "with two choices the most loaded of three is never the lighter one: " + c);
    assertTrue(c.get("b") > c.get("c"), c.toString());
  }

  @Test
  void leastLoadedBreaksTiesWithReportedLoad() {
    List<Provider> two = List.of(p("busy", 9), p("idle", 0.5));
    Map<String, Integer> c = counts(new Selection(Selection.Policy.LEAST_LOADED, new Random(1)), two, Map.of(), 100);
    assertEquals(Map.of("idle", 100), c);
  }

  @Test
  void neverPicksATriedProviderAndAvoidsCoolingOnesWhileOthersRemain() {
    Selection s = new Selection(Selection.Policy.RANDOM, new Random(1));
    for (int i = 0; i < 100; i++) {
      Provider p = s.pick(THREE, Set.of("a")::contains, Set.of("b")::contains, id -> 0);
      assertEquals("c", p.peerId());
    }
    assertEquals("b", s.pick(THREE, Set.of("a", "c")::contains, Set.of("b")::contains, id -> 0).peerId(),
        "a cooling provider is better than none");
    assertNull(s.pick(THREE, Set.of("a", "b", "c")::contains, id -> false, id -> 0));
    assertNull(s.pick(List.of(), id -> false, id -> false, id -> 0));
  }

  @Test
  void policiesParseFromTheirFlagValues() {
    assertEquals(Selection.Policy.LEAST_LOADED, Selection.Policy.parse("least-loaded"));
    assertEquals(Selection.Policy.ROUND_ROBIN, Selection.Policy.parse("round-robin"));
    assertEquals(Selection.Policy.RANDOM, Selection.Policy.parse("random"));
  }
}
