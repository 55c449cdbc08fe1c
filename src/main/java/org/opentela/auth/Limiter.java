package org.opentela.auth;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The per-key limits of this node ({@link KeyLimit} per key with limits, created on first use), called on
 * the request path by many threads at once; the sync side ({@link #tick}, {@link #apply}) is called by
 * {@link LimitSync} only. A plain thread-safe object rather than an actor: an ask per request would cost
 * more CPU than the whole check (the request path's budget for keys and limits is 5 %).
 */
public final class Limiter {
  private static final long IDLE_NANOS = Duration.ofMinutes(2).toNanos();

  private final LongSupplier clock;
  private final long originNanos;
  private final long ticketTimeoutNanos;
  private final Map<String, KeyLimit> keys = new ConcurrentHashMap<>();
  private volatile KeyRing ring = KeyRing.EMPTY;
  private volatile Set<String> live = Set.of();
  private volatile String self = "";
  private volatile long turn;

  /**
   * @param clock         monotonic nanoseconds ({@code System::nanoTime})
   * @param ticketTimeout after this long an admitted request that never ended gives its slot back
   */
  public Limiter(LongSupplier clock, Duration ticketTimeout) {
    this.clock = clock;
    this.originNanos = clock.getAsLong();
    this.ticketTimeoutNanos = ticketTimeout.toNanos();
  }

  /** The keys whose limits apply (their limits are read from here when a key's state is made). */
  void keys(KeyRing ring) {
    this.ring = ring;
    keys.forEach((id, state) -> {
      ApiKey k = ring.get(id);
      if (k != null) {
        state.limits(k.limits());
      }
    });
  }

  /** Admits a request under {@code key}, or says which limit refuses it. */
  public Decision admit(ApiKey key) {
    if (!key.limits().limitsRate()) {
      return new Decision.Admitted(Ticket.NONE, Decision.RateHeaders.NONE);
    }
    long now = clock.getAsLong();
    return state(key.id(), key.limits(), now).admit(now);
  }

  /** Ends an admitted request that used {@code tokens} (prompt plus completion); a second call does nothing. */
  public void release(Ticket t, long tokens) {
    if (t.owner != null) {
      t.owner.release(t, tokens, clock.getAsLong());
    }
  }

  private KeyLimit state(String id, Limits limits, long now) {
    KeyLimit s = keys.get(id);
    if (s != null) {
      return s;
    }
    return keys.computeIfAbsent(id, k -> {
      KeyLimit fresh = new KeyLimit(k, limits, originNanos, now);
      fresh.start(now, live, self, turn);
      return fresh;
    });
  }

  /**
   * Starts a sync interval on every key: {@code live} are the other limiter nodes, {@code self} this
   * node's name among them. Returns this node's reports. Also reclaims lost tickets and drops idle keys.
   */
  List<KeyReport> tick(Set<String> live, String self, long turn, long peerTtlNanos) {
    this.live = Set.copyOf(live);
    this.self = self;
    this.turn = turn;
    long now = clock.getAsLong();
    List<KeyReport> out = new ArrayList<>();
    keys.values().removeIf(s -> s.idle(now, IDLE_NANOS));
    for (KeyLimit s : keys.values()) {
      s.reclaim(now - ticketTimeoutNanos);
      KeyReport r = s.tick(now, this.live, self, turn, peerTtlNanos);
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  /** Reports of another node. Keys this node does not know (yet) are skipped. */
  void apply(String peer, List<KeyReport> reports) {
    long now = clock.getAsLong();
    for (KeyReport r : reports) {
      ApiKey k = ring.get(r.keyId());
      if (k != null && k.limits().limitsRate()) {
        state(k.id(), k.limits(), now).apply(peer, r, now);
      }
    }
  }

  /** Requests in flight on this node under {@code keyId} (for tests and metrics). */
  public int inFlight(String keyId) {
    KeyLimit s = keys.get(keyId);
    return s == null ? 0 : s.inFlight();
  }
}
