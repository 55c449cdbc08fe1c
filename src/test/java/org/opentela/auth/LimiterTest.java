package org.opentela.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The per-key limiter against a clock the test moves: window edges, tokens, clock jumps, exactness. */
class LimiterTest {
  static final long S = 1_000_000_000L;
  final AtomicLong now = new AtomicLong(1_000 * S);
  final Limiter limiter = new Limiter(now::get, Duration.ofMinutes(16));

  static ApiKey key(String id, long rpm, long tpm, int parallel, String... models) {
    return new ApiKey(id, "name-" + id, KeySecrets.hash("x"), new Limits(rpm, tpm, parallel, List.of(models)),
        new ApiKey.Validity(1, 0, 0));
  }

  void at(double seconds) {
    now.set(1_000 * S + (long) (seconds * S));
  }

  Decision.Admitted admitted(ApiKey k) {
    return assertInstanceOf(Decision.Admitted.class, limiter.admit(k));
  }

  Decision.Refused refused(ApiKey k) {
    return assertInstanceOf(Decision.Refused.class, limiter.admit(k));
  }

  @Test
  void theRequestWindowHoldsForEverySixtySecondsNotOnlyAlignedMinutes() {
    ApiKey k = key("a", 10, 0, 0);
    at(0.9);
    for (int i = 0; i < 10; i++) {
      admitted(k);
    }
    Decision.Refused r = refused(k);
    assertEquals(Decision.Limit.REQUESTS, r.reason());
    assertEquals(10, r.used());
    // A fixed window would reset at 60 s and let 10 more through within the same 60 s span.
    at(60.0);
    refused(k);
    at(60.85);
    refused(k);
    // The slot of second 0 leaves the window at second 61.
    at(61.0);
    admitted(k);
  }

  @Test
  void retryAfterIsWhenTheOldestRequestLeavesTheWindow() {
    ApiKey k = key("b", 3, 0, 0);
    at(0.2);
    admitted(k);
    at(10.5);
    admitted(k);
    admitted(k);
    at(30.25);
    Decision.Refused r = refused(k);
    // The request of second 0 leaves at second 61: 30.75 s from 30.25.
    assertEquals(30_750_000_000L, r.retryAfterNanos());
    assertEquals(3, r.headers().limitRequests());
    assertEquals(0, r.headers().remainingRequests());
    at(61.0);
    Decision.Admitted a = admitted(k);
    assertEquals(0, a.headers().remainingRequests());
    // Full again when the newest request (second 61) has left: at second 122.
    assertEquals(61 * S, a.headers().resetRequestsNanos());
  }

  @Test
  void tokensCountWhenTheRequestEndsAndRefuseOnceTheMinuteIsSpent() {
    ApiKey k = key("c", 0, 100, 0);
    at(0);
    Decision.Admitted first = admitted(k);
    Decision.Admitted second = admitted(k);
    limiter.release(first.ticket(), 60);
    admitted(k).ticket();
    at(5);
    limiter.release(second.ticket(), 40);
    limiter.release(second.ticket(), 40); // a second release counts nothing
    Decision.Refused r = refused(k);
    assertEquals(Decision.Limit.TOKENS, r.reason());
    assertEquals(100, r.used());
    assertEquals(100, r.headers().limitTokens());
    assertEquals(0, r.headers().remainingTokens());
    // The 60 tokens of second 0 leave at second 61; then 40 remain, under the limit.
    assertEquals(56 * S, r.retryAfterNanos());
    at(61);
    Decision.Admitted later = admitted(k);
    assertEquals(60, later.headers().remainingTokens());
  }

  @Test
  void aClockJumpForwardEmptiesTheWindowAndTimeNeverRunsBackwards() {
    ApiKey k = key("d", 2, 0, 0);
    at(0);
    admitted(k);
    admitted(k);
    refused(k);
    // A suspended machine wakes an hour later: the window is empty, not corrupted.
    at(3600);
    admitted(k);
    admitted(k);
    refused(k);
    // A clock read that goes back (another core, a bad source) counts as the newest second.
    at(3590);
    refused(k);
    at(3661);
    admitted(k);
  }

  @Test
  void maxParallelIsExactUnderConcurrencyAndSlotsComeBack() throws Exception {
    ApiKey k = key("e", 0, 0, 8);
    int threads = 50;
    CountDownLatch go = new CountDownLatch(1);
    List<Decision> decisions = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Thread> all = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        decisions.add(limiter.admit(k));
      });
      t.start();
      all.add(t);
    }
    go.countDown();
    for (Thread t : all) {
      t.join();
    }
    List<Decision.Admitted> in = decisions.stream().filter(d -> d instanceof Decision.Admitted)
        .map(d -> (Decision.Admitted) d).toList();
    assertEquals(8, in.size(), "admitted of 50 at once with max_parallel 8");
    assertEquals(8, limiter.inFlight("e"));
    limiter.release(in.get(0).ticket(), 0);
    admitted(k);
    refused(k);
  }

  @Test
  void requestsPerMinuteIsExactUnderConcurrency() throws Exception {
    ApiKey k = key("f", 100, 0, 0);
    AtomicInteger admitted = new AtomicInteger();
    List<Thread> all = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      Thread t = new Thread(() -> {
        for (int j = 0; j < 20; j++) {
          if (limiter.admit(k) instanceof Decision.Admitted) {
            admitted.incrementAndGet();
          }
        }
      });
      t.start();
      all.add(t);
    }
    for (Thread t : all) {
      t.join();
    }
    assertEquals(100, admitted.get(), "1,000 attempts by 50 threads against 100 RPM");
  }

  @Test
  void aTicketNeverReleasedIsReclaimedAfterTheTimeout() {
    Limiter short_ = new Limiter(now::get, Duration.ofSeconds(30));
    ApiKey k = key("g", 0, 0, 1);
    at(0);
    assertInstanceOf(Decision.Admitted.class, short_.admit(k));
    assertInstanceOf(Decision.Refused.class, short_.admit(k));
    at(31);
    short_.tick(Set.of(), "self", 0, S);
    assertInstanceOf(Decision.Admitted.class, short_.admit(k));
  }

  @Test
  void aKeyWithoutLimitsIsNeverCounted() {
    ApiKey k = key("h", 0, 0, 0);
    for (int i = 0; i < 1000; i++) {
      limiter.release(admitted(k).ticket(), 10);
    }
    assertEquals(0, limiter.inFlight("h"));
  }

  @Test
  void rateHeadersAreOpenAisDurations() {
    assertEquals("0s", Decision.duration(0));
    assertEquals("250ms", Decision.duration(250_000_000L));
    assertEquals("1s", Decision.duration(S));
    assertEquals("1.5s", Decision.duration(1_500_000_000L));
    assertEquals("1m1s", Decision.duration(61 * S));
    assertEquals("1.05s", Decision.duration(1_050_000_000L));
    assertEquals("2m0.001s", Decision.duration(120 * S + 1_000_000L));
    Decision.RateHeaders h = new Decision.RateHeaders(600, 599, S, 0, 0, 0);
    assertEquals(List.of("x-ratelimit-limit-requests", "600", "x-ratelimit-remaining-requests", "599",
        "x-ratelimit-reset-requests", "1s"), h.pairs());
  }

  // ---- several nodes: reports exchanged as LimitSync would, every interval ----

  /** Two limiters that share keys; {@link #interval()} ticks both and delivers their reports. */
  final class Pair {
    final Limiter a = new Limiter(now::get, Duration.ofMinutes(16));
    final Limiter b = new Limiter(now::get, Duration.ofMinutes(16));
    long turn;

    Pair(ApiKey... ks) {
      KeyRing ring = new KeyRing(java.util.Arrays.stream(ks).collect(java.util.stream.Collectors.toMap(ApiKey::id, x -> x)));
      a.keys(ring);
      b.keys(ring);
      interval();
    }

    void interval() {
      turn++;
      List<KeyReport> fromA = a.tick(Set.of("b"), "a", turn, 10 * S);
      List<KeyReport> fromB = b.tick(Set.of("a"), "b", turn, 10 * S);
      b.apply("a", fromA);
      a.apply("b", fromB);
    }
  }

  @Test
  void twoNodesSplittingABurstNeverAdmitMoreThanTheLimitTogether() {
    ApiKey k = key("i", 100, 0, 0);
    Pair p = new Pair(k);
    int total = 0;
    Map<String, Integer> byNode = new java.util.TreeMap<>();
    for (int i = 0; i < 30; i++) {
      for (int j = 0; j < 50; j++) {
        if (p.a.admit(k) instanceof Decision.Admitted) {
          total++;
          byNode.merge("a", 1, Integer::sum);
        }
        if (p.b.admit(k) instanceof Decision.Admitted) {
          total++;
          byNode.merge("b", 1, Integer::sum);
        }
      }
      now.addAndGet(S / 10);
      p.interval();
    }
    assertEquals(100, total, "admitted by both nodes within 3 s, limit 100 RPM: " + byNode);
    assertTrue(byNode.get("a") >= 40 && byNode.get("b") >= 40, "a fair split: " + byNode);
  }

  @Test
  void twoNodesShareMaxParallelAndANodeAloneGetsItAll() {
    ApiKey k = key("j", 0, 0, 8);
    Pair p = new Pair(k);
    List<Decision.Admitted> inA = new ArrayList<>();
    List<Decision.Admitted> inB = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      for (int j = 0; j < 20; j++) {
        if (p.a.admit(k) instanceof Decision.Admitted d) {
          inA.add(d);
        }
        if (p.b.admit(k) instanceof Decision.Admitted d) {
          inB.add(d);
        }
      }
      assertTrue(inA.size() + inB.size() <= 8, "in flight on both: " + inA.size() + " + " + inB.size());
      p.interval();
    }
    assertEquals(8, inA.size() + inB.size());
    assertTrue(inA.size() >= 3 && inB.size() >= 3, inA.size() + " + " + inB.size());
    // b stops: its requests end and it asks for no more; a alone gets every slot within a few intervals.
    inB.forEach(d -> p.b.release(d.ticket(), 0));
    for (int i = 0; i < 20; i++) {
      now.addAndGet(S / 10);
      p.interval();
      for (int j = 0; j < 5; j++) {
        if (p.a.admit(k) instanceof Decision.Admitted d) {
          inA.add(d);
        }
      }
    }
    assertEquals(8, inA.size(), "a alone holds all 8 slots");
  }
}
