package org.opentela.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The cache-aware policy as pure logic: sessions by rendezvous hashing with bounded load, prefixes by the index. */
class CacheAwareTest {
  private static final CacheAwareSettings SETTINGS = new CacheAwareSettings(4, 1.5, 10_000, 0.3);

  private static List<Provider> workers(int n) {
    List<Provider> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Provider("QmWorker" + i, null, 0, false));
    }
    return out;
  }

  private static Selection head(long seed) {
    return new Selection(Selection.Policy.CACHE_AWARE, new Random(seed), SETTINGS);
  }

  private static Affinity session(String key) {
    return Affinity.of("llm", new MatchFields(Map.of("model", "m"), Set.of("model")), List.of("X-Session-Id", key));
  }

  private static Affinity prompt(String text) {
    return Affinity.of("llm", new MatchFields(Map.of("model", "m"), Set.of("model"), PromptPrefix.ofText(text)),
        List.of());
  }

  private static String pick(Selection s, List<Provider> ws, Map<String, Integer> inFlight, Affinity a) {
    return s.pick(ws, id -> false, id -> false, id -> inFlight.getOrDefault(id, 0), a).peerId();
  }

  @Test
  void twoHeadsSendEverySessionToTheSameWorker() {
    List<Provider> ws = workers(5);
    Selection h1 = head(1);
    Selection h2 = head(2); // other random state, other in-flight counts (none overloaded)
    Map<String, Integer> load1 = Map.of("QmWorker0", 2, "QmWorker3", 1);
    Map<String, Integer> load2 = Map.of("QmWorker1", 3);
    for (int i = 0; i < 1000; i++) {
      Affinity a = session("session-" + i);
      assertEquals(pick(h1, ws, load1, a), pick(h2, ws, load2, a), "session-" + i);
    }
  }

  @Test
  void aRetrysOneOffListRanksSessionsAsTheCachedListDoes() {
    List<Provider> ws = workers(7);
    Selection s = head(1);
    for (int i = 0; i < 300; i++) {
      Affinity a = session("s" + i);
      String fromCached = pick(s, ws, Map.of(), a); // the same list object: cached from its second use on
      String fromCopy = pick(s, new ArrayList<>(ws), Map.of(), a); // a new list every time: never cached
      assertEquals(fromCached, fromCopy, "s" + i);
    }
  }

  @Test
  void sessionsSpreadEvenlyOverTheWorkers() {
    List<Provider> ws = workers(4);
    Selection s = head(1);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 4000; i++) {
      counts.merge(pick(s, ws, Map.of(), session("s" + i)), 1, Integer::sum);
    }
    counts.values().forEach(c -> assertTrue(c > 850 && c < 1150, "about 1000 each: " + counts));
  }

  @Test
  void aWorkersLossMovesOnlyItsOwnSessions() {
    List<Provider> ws = workers(5);
    Selection s = head(1);
    Map<String, String> before = new HashMap<>();
    for (int i = 0; i < 2000; i++) {
      before.put("s" + i, pick(s, ws, Map.of(), session("s" + i)));
    }
    String lost = "QmWorker2";
    List<Provider> remaining = ws.stream().filter(p -> !p.peerId().equals(lost)).toList();
    Map<String, Integer> movedTo = new HashMap<>();
    int moved = 0;
    for (var e : before.entrySet()) {
      String after = pick(s, remaining, Map.of(), session(e.getKey()));
      if (e.getValue().equals(lost)) {
        moved++;
        movedTo.merge(after, 1, Integer::sum);
      } else {
        assertEquals(e.getValue(), after, e.getKey() + " was not on the lost worker and must stay");
      }
    }
    assertTrue(moved > 300, "about a fifth of 2000 sessions were on it: " + moved);
    assertEquals(4, movedTo.size(), "its sessions spread over all the others: " + movedTo);
    // ... and when it comes back, exactly those return to it.
    for (var e : before.entrySet()) {
      assertEquals(e.getValue(), pick(s, ws, Map.of(), session(e.getKey())));
    }
  }

  @Test
  void anOverloadedWorkerShedsSessionsToOneStableSecondChoiceAndGetsThemBack() {
    List<Provider> ws = workers(4);
    Selection s = head(1);
    Affinity a = session("busy-user");
    String home = pick(s, ws, Map.of(), a);
    Map<String, Integer> inFlight = new HashMap<>();
    ws.forEach(p -> inFlight.put(p.peerId(), 6));
    inFlight.put(home, 10);
    assertEquals(home, pick(s, ws, inFlight, a), "4 more than the least loaded: within the threshold");
    inFlight.put(home, 11); // 5 more than the least loaded, and more than 1.5 times it
    String second = pick(s, ws, inFlight, a);
    assertNotEquals(home, second);
    for (int i = 0; i < 50; i++) {
      assertEquals(second, pick(s, ws, inFlight, a), "the overflow always goes to the same second choice");
    }
    inFlight.put(second, 12);
    String third = pick(s, ws, inFlight, a);
    assertTrue(!third.equals(home) && !third.equals(second), third);
    inFlight.put(home, 7);
    assertEquals(home, pick(s, ws, inFlight, a), "back home once its load is back");
  }

  @Test
  void bothThresholdsMustBeExceeded() {
    CacheAware policy = new CacheAware(SETTINGS, new Random(1));
    assertTrue(!policy.overloaded(4, 0), "4 more than an idle worker: not yet");
    assertTrue(policy.overloaded(5, 0));
    assertTrue(!policy.overloaded(30, 20), "10 more, but only 1.5 times");
    assertTrue(policy.overloaded(31, 20));
  }

  @Test
  void requestsSharingAPromptPrefixStickToTheWorkerThatServedIt() {
    List<Provider> ws = workers(4);
    Selection s = head(1);
    String system = "You are a helpful assistant for a cache-aware router benchmark. ".repeat(10);
    Map<String, Integer> inFlight = new HashMap<>();
    String first = pick(s, ws, inFlight, prompt(system + "Question one?" + "q".repeat(300)));
    inFlight.merge(first, 1, Integer::sum); // still running
    String conversation = system + "Question one?" + "q".repeat(300);
    for (int turn = 0; turn < 4; turn++) { // up to 4 in flight there: not more than 4 above the idle others
      conversation += " answer " + turn + " and the next question " + "t".repeat(200);
      assertEquals(first, pick(s, ws, inFlight, prompt(conversation)), "turn " + turn);
      inFlight.merge(first, 1, Integer::sum);
    }
    // 5 in flight there now: > 4 more than an idle worker, so the next turn goes to the least loaded...
    String shed = pick(s, ws, inFlight, prompt(conversation + " one more"));
    assertNotEquals(first, shed);
    // ... which now holds the prefix too: when the first is busier still, the prompt stays on the second.
    inFlight.merge(shed, 1, Integer::sum);
    assertEquals(shed, pick(s, ws, inFlight, prompt(conversation + " one more, again")));
  }

  @Test
  void aPromptSharingOnlyAShortPreambleIsBalancedNotPiledOntoItsHolder() {
    List<Provider> ws = workers(4);
    Selection s = head(1);
    String preamble = "You are a helpful assistant. Answer briefly. ".repeat(12); // 2 blocks of 256
    Map<String, Integer> inFlight = new HashMap<>();
    String holder = pick(s, ws, inFlight, prompt(preamble + "first unique question ".repeat(80)));
    inFlight.merge(holder, 1, Integer::sum);
    // The preamble is 2 of about 9 blocks, under the 0.3 threshold: balanced, not sent to its holder.
    String second = pick(s, ws, inFlight, prompt(preamble + "another unique question ".repeat(80)));
    assertNotEquals(holder, second);
    inFlight.merge(second, 1, Integer::sum);
    // The same preamble before a short question is all of the prompt: it follows a holder of the preamble
    // (now both), though two workers are idle.
    assertTrue(Set.of(holder, second).contains(pick(s, ws, inFlight, prompt(preamble + "Why?"))));
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 40; i++) {
      String chosen = pick(s, ws, inFlight, prompt(preamble + ("unique question " + i + " ").repeat(80)));
      inFlight.merge(chosen, 1, Integer::sum);
      counts.merge(chosen, 1, Integer::sum);
    }
    counts.values().forEach(c -> assertTrue(c >= 9 && c <= 11, "spread evenly: " + counts));
  }

  @Test
  void withoutSessionOrPrefixTheLeastLoadedWorkerIsChosen() {
    List<Provider> ws = workers(4);
    Selection s = head(1);
    Map<String, Integer> inFlight = Map.of("QmWorker0", 3, "QmWorker1", 1, "QmWorker2", 2, "QmWorker3", 5);
    for (int i = 0; i < 20; i++) {
      assertEquals("QmWorker1", pick(s, ws, inFlight, prompt("short")));
      assertEquals("QmWorker1", pick(s, ws, inFlight, Affinity.NONE));
    }
  }

  @Test
  void aNewPromptGoesToTheLeastLoadedAndTiesSpread() {
    List<Provider> ws = workers(4);
    Selection s = head(1);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 400; i++) {
      counts.merge(pick(s, ws, Map.of(), prompt(("unique prompt " + i + " ").repeat(40))), 1, Integer::sum);
    }
    assertEquals(4, counts.size(), counts.toString());
    counts.values().forEach(c -> assertTrue(c > 60, "ties broken at random: " + counts));
  }

  @Test
  void triedAndCoolingWorkersAreSkippedForASession() {
    List<Provider> ws = workers(4);
    Selection s = head(1);
    Affinity a = session("retry-me");
    String home = pick(s, ws, Map.of(), a);
    String retry = s.pick(ws, Set.of(home)::contains, id -> false, id -> 0, a).peerId();
    assertNotEquals(home, retry);
    assertEquals(retry, s.pick(ws, id -> false, Set.of(home)::contains, id -> 0, a).peerId(),
        "a cooling home is avoided, and its sessions go to their second choice");
  }

  @Test
  void theCacheAwarePolicyParsesFromItsFlagValue() {
    assertEquals(Selection.Policy.CACHE_AWARE, Selection.Policy.parse("cache-aware"));
    assertTrue(Selection.readsPrompt(Selection.Policy.CACHE_AWARE));
    assertTrue(!Selection.readsPrompt(Selection.Policy.LEAST_LOADED));
    assertEquals(Affinity.NONE, new Selection(Selection.Policy.LEAST_LOADED, new Random(1))
        .affinity("llm", MatchFields.NONE, List.of("X-Session-Id", "s")), "other policies compute nothing");
  }
}
