package org.opentela.auth;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The limits of one key on this node: requests and tokens in a sliding minute ({@link SlidingWindow}),
 * the requests in flight, and what the other nodes last reported for the key. Every method holds the
 * key's lock for a few arithmetic steps only, so a check and its increment are one step: N concurrent
 * requests against a limit of K admit exactly K (no check-then-act race).
 *
 * <p><b>Several nodes.</b> Alone, a node checks its own counts plus the others' reports. When other
 * limiter nodes are live, that is not enough: two nodes that both see room would both fill it. So each
 * sync interval every node also takes a <i>budget</i>, its share of the room that no node has taken or
 * reserved yet: {@code (limit - used - others' announced budgets) / n}, where {@code n} counts the nodes
 * with requests for the key; the remainder goes to one node in turn. A node without requests for the key
 * takes nothing while others use it (it says it needs a share first), and, while nobody uses it, only its
 * part among all live nodes, so that nodes starting at the same moment never find the room promised twice. Announcing budgets
 * makes the shares add up to at most the room, whatever order the nodes take them in; what can still
 * overshoot is a report in flight while another node takes its share. A slot freed on this node is reused
 * at once when no other node has requests for the key, else it returns to the common room at the next
 * interval (immediate reuse would let one busy node keep every slot).
 */
final class KeyLimit {
  /** What another node last reported for this key. */
  record PeerView(int inFlight, KeyReport.Budget budget, boolean active, long heardNanos) {}

  private static final long NANOS = 1_000_000_000L;

  final String keyId;
  private final long originNanos;
  private Limits limits;
  private final SlidingWindow requests = new SlidingWindow();
  private final SlidingWindow tokens = new SlidingWindow();
  private final Set<Ticket> open = new LinkedHashSet<>();
  private final Map<String, PeerView> peers = new HashMap<>();
  private long unreportedRequests;
  private long unreportedTokens;
  private boolean shared;
  private boolean soleUser = true;
  private long requestBudget = Long.MAX_VALUE;
  private long slotBudget = Long.MAX_VALUE;
  private boolean demand;
  private boolean activeAtLastTick;
  private KeyReport.Budget lastReported;
  private long lastUseNanos;

  KeyLimit(String keyId, Limits limits, long originNanos, long nowNanos) {
    this.keyId = keyId;
    this.limits = limits;
    this.originNanos = originNanos;
    this.lastUseNanos = nowNanos;
  }

  private long second(long nanos) {
    return Math.floorDiv(nanos - originNanos, NANOS);
  }

  private long startOf(long second) {
    return originNanos + second * NANOS;
  }

  synchronized void limits(Limits l) {
    this.limits = l;
  }

  synchronized Decision admit(long now) {
    demand = true;
    lastUseNanos = now;
    long sec = second(now);
    long usedRequests = requests.total(sec);
    long usedTokens = tokens.total(sec);
    int parallel = limits.maxParallel();
    if (parallel > 0) {
      int inFlight = inFlightEverywhere();
      if (inFlight >= parallel || (shared && slotBudget <= 0)) {
        return refused(Decision.Limit.PARALLEL, parallel, inFlight, NANOS, sec, usedRequests, usedTokens, now);
      }
    }
    if (limits.rpm() > 0 && (usedRequests >= limits.rpm() || (shared && requestBudget <= 0))) {
      long retry = usedRequests >= limits.rpm()
          ? startOf(requests.secondWhenAtMost(sec, limits.rpm() - 1)) - now : NANOS;
      return refused(Decision.Limit.REQUESTS, limits.rpm(), usedRequests, retry, sec, usedRequests, usedTokens, now);
    }
    if (limits.tpm() > 0 && usedTokens >= limits.tpm()) {
      long retry = startOf(tokens.secondWhenAtMost(sec, limits.tpm() - 1)) - now;
      return refused(Decision.Limit.TOKENS, limits.tpm(), usedTokens, retry, sec, usedRequests, usedTokens, now);
    }
    requests.add(sec, 1);
    unreportedRequests++;
    if (shared) {
      requestBudget--;
      slotBudget--;
    }
    Ticket t = new Ticket(this, now);
    open.add(t);
    return new Decision.Admitted(t, headers(sec, usedRequests + 1, usedTokens, now));
  }

  private Decision refused(Decision.Limit which, long limit, long used, long retryNanos, long sec, long usedRequests,
      long usedTokens, long now) {
    return new Decision.Refused(which, limit, used, Math.max(retryNanos, 1), headers(sec, usedRequests, usedTokens, now));
  }

  private Decision.RateHeaders headers(long sec, long usedRequests, long usedTokens, long now) {
    long rpm = limits.rpm();
    long tpm = limits.tpm();
    return new Decision.RateHeaders(
        rpm, rpm - usedRequests, rpm > 0 ? Math.max(0, startOf(requests.secondWhenAtMost(sec, 0)) - now) : 0,
        tpm, tpm - usedTokens, tpm > 0 ? Math.max(0, startOf(tokens.secondWhenAtMost(sec, 0)) - now) : 0);
  }

  private int inFlightEverywhere() {
    int n = open.size();
    for (PeerView v : peers.values()) {
      n += v.inFlight();
    }
    return n;
  }

  synchronized void release(Ticket t, long tokensUsed, long now) {
    if (t.released) {
      return;
    }
    t.released = true;
    open.remove(t);
    lastUseNanos = now;
    if (shared && soleUser && slotBudget < Long.MAX_VALUE) {
      slotBudget++;
    }
    if (tokensUsed > 0) {
      tokens.add(second(now), tokensUsed);
      unreportedTokens += tokensUsed;
    }
  }

  /** Gives back tickets admitted before {@code cutoff} that were never released; returns how many. */
  synchronized int reclaim(long cutoff) {
    int n = 0;
    for (Iterator<Ticket> it = open.iterator(); it.hasNext(); ) {
      Ticket t = it.next();
      if (t.admittedNanos - cutoff >= 0) {
        break;
      }
      it.remove();
      t.released = true;
      n++;
    }
    return n;
  }

  /** Another node's report: its requests and tokens join the windows now, its in-flight and budget replace the last. */
  synchronized void apply(String peer, KeyReport r, long now) {
    long sec = second(now);
    if (r.requests() > 0) {
      requests.add(sec, r.requests());
    }
    if (r.tokens() > 0) {
      tokens.add(sec, r.tokens());
    }
    peers.put(peer, new PeerView(r.inFlight(), r.budget(), r.active(), now));
    lastUseNanos = now;
  }

  /**
   * Starts a sync interval: forgets views of nodes no longer live or silent for {@code peerTtlNanos},
   * takes this node's budget for the interval, and returns the report for the others (null when there
   * is nothing to say). {@code live}: the other limiter nodes heard recently; {@code turn}: the interval's
   * number, which picks the node that gets the remainder of a split.
   */
  synchronized KeyReport tick(long now, Set<String> live, String self, long turn, long peerTtlNanos) {
    peers.entrySet().removeIf(e -> !live.contains(e.getKey()) || now - e.getValue().heardNanos() > peerTtlNanos);
    boolean active = demand || !open.isEmpty();
    takeBudget(now, live, self, turn, active);
    KeyReport.Budget budget = new KeyReport.Budget(requestBudget, slotBudget);
    KeyReport report = null;
    if (active || activeAtLastTick || unreportedRequests > 0 || unreportedTokens > 0
        || (shared && !budget.equals(lastReported))) {
      report = new KeyReport(keyId, unreportedRequests, unreportedTokens, open.size(), budget, active);
      unreportedRequests = 0;
      unreportedTokens = 0;
      lastReported = budget;
    }
    activeAtLastTick = active;
    demand = false;
    return report;
  }

  /** The budget of a key this node has just started to use, before its first interval. */
  synchronized void start(long now, Set<String> live, String self, long turn) {
    takeBudget(now, live, self, turn, false);
  }

  private void takeBudget(long now, Set<String> live, String self, long turn, boolean active) {
    shared = !live.isEmpty();
    if (!shared) {
      soleUser = true;
      requestBudget = Long.MAX_VALUE;
      slotBudget = Long.MAX_VALUE;
      return;
    }
    List<String> sharing = new ArrayList<>();
    sharing.add(self);
    peers.forEach((p, v) -> {
      if (v.active()) {
        sharing.add(p);
      }
    });
    if (!active) {
      if (sharing.size() > 1) {
        // Others are using the key: this node takes its share once it has said it needs one.
        soleUser = false;
        requestBudget = limits.rpm() > 0 ? 0 : Long.MAX_VALUE;
        slotBudget = limits.maxParallel() > 0 ? 0 : Long.MAX_VALUE;
        return;
      }
      // Nobody is: any live node may start at once, so each may take only its part of the room.
      sharing.addAll(live);
    }
    Collections.sort(sharing);
    int n = sharing.size();
    soleUser = n == 1;
    boolean mine = Math.floorMod(turn + keyId.hashCode(), n) == sharing.indexOf(self);
    long peerRequests = 0;
    long peerSlots = 0;
    long peerInFlight = 0;
    for (PeerView v : peers.values()) {
      peerInFlight += v.inFlight();
      peerRequests += Math.min(Math.max(0, v.budget().requests()), Math.max(limits.rpm(), 0));
      peerSlots += Math.min(Math.max(0, v.budget().slots()), limits.maxParallel());
    }
    requestBudget = limits.rpm() > 0
        ? share(limits.rpm() - requests.total(second(now)) - peerRequests, n, mine) : Long.MAX_VALUE;
    slotBudget = limits.maxParallel() > 0
        ? share(limits.maxParallel() - open.size() - peerInFlight - peerSlots, n, mine) : Long.MAX_VALUE;
  }

  private static long share(long free, int n, boolean mine) {
    return free <= 0 ? 0 : free / n + (mine ? free % n : 0);
  }

  /** Whether this state can be dropped: nothing in flight, nothing to report, unused for {@code idleNanos}. */
  synchronized boolean idle(long now, long idleNanos) {
    return open.isEmpty() && unreportedRequests == 0 && unreportedTokens == 0 && !demand && !activeAtLastTick
        && now - lastUseNanos > idleNanos;
  }

  synchronized int inFlight() {
    return open.size();
  }
}
