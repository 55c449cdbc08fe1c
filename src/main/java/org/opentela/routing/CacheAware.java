package org.opentela.routing;

import java.util.List;
import java.util.function.ToIntFunction;
import java.util.random.RandomGenerator;

/**
 * The {@code cache-aware} policy: send a request where its prompt's prefix is most likely cached, unless
 * that worker is overloaded; then balance wins.
 *
 * <ul>
 *   <li><b>Session</b> (the request names one, see {@link Affinity}): rendezvous hashing (highest random
 *       weight) of the session over the eligible workers. Every head computes the same ranking from the
 *       replicated table alone, with no shared state, and a worker that leaves takes only its own sessions
 *       with it: the others' first choice is unchanged. With bounded load (Mirrokni et al., 2018): if the
 *       first choice is overloaded the session goes to the next in its ranking that is not, so its overflow
 *       lands on one stable second worker.</li>
 *   <li><b>Prefix</b> (no session): the worker that most recently served the longest prefix of the prompt,
 *       as this head's {@link PrefixIndex} remembers it (the least loaded, if several hold it), provided
 *       that prefix covers at least {@code cacheThreshold} of the prompt's blocks; if it is overloaded, or
 *       the match is shorter, or nothing matches, the least-loaded worker. So a prompt that shares only a
 *       short preamble with others is balanced, not piled onto its holders (SGLang issue #21199: affinity
 *       that fought load balance when little was shared). The worker chosen becomes a holder of the
 *       request's prefixes, so a hot shared prompt that load pushed elsewhere is then held by both.</li>
 *   <li>Neither (a short prompt, a body that is not JSON): the least-loaded worker.</li>
 * </ul>
 *
 * <p>A worker is overloaded when this head's outstanding requests to it exceed the least-loaded eligible
 * worker's by more than {@code balanceAbsThreshold} and more than {@code balanceRelThreshold} times (both,
 * as SGLang's cache-aware router). Load is this head's own count, as for {@code least-loaded}: each head
 * keeps its own traffic balanced. The least-loaded worker is found exactly among up to
 * {@value #EXACT_SCAN} workers (ties broken from a random start), else by two random choices.
 *
 * <p>Cost per request: one pass over the eligible workers' cached peer hashes for a session (a multiply and
 * a mix per worker), at most {@value PromptPrefix#MAX_BLOCKS} index probes and writes for a prefix, and a
 * lookup per holder ({@link CandidateCache}). Not thread-safe: one per router.
 */
final class CacheAware {
  static final int EXACT_SCAN = 64;

  private final CacheAwareSettings settings;
  private final PrefixIndex index;
  private final CandidateCache candidates = new CandidateCache();
  private final RandomGenerator random;

  CacheAware(CacheAwareSettings settings, RandomGenerator random) {
    this.settings = settings;
    this.index = new PrefixIndex(settings.prefixIndexSize());
    this.random = random;
  }

  /** Picks among {@code eligible} (at least one): see the class comment. */
  Provider pick(List<Provider> eligible, ToIntFunction<String> inFlight, Affinity a) {
    Provider balanced = leastLoaded(eligible, inFlight);
    int least = inFlight.applyAsInt(balanced.peerId());
    Provider chosen;
    PrefixIndex.Match match = null;
    if (a.hasSession()) {
      chosen = rendezvous(eligible, candidates.get(eligible), a.session(), inFlight, least);
    } else if (a.prefixBlocks() > 0) {
      match = index.longest(a);
      Provider holder = match == null || match.blocks() < settings.cacheThreshold() * a.prefixBlocks() ? null
          : leastLoadedHolder(eligible, candidates.get(eligible), match.holders(), inFlight);
      chosen = holder != null && !overloaded(inFlight.applyAsInt(holder.peerId()), least) ? holder : balanced;
    } else {
      chosen = balanced;
    }
    if (a.prefixBlocks() > 0) {
      if (match == null && a.hasSession()) {
        match = index.longest(a);
      }
      index.record(a, match, chosen.peerId());
    }
    return chosen;
  }

  /** Whether a worker with {@code load} outstanding requests is overloaded next to the least loaded's {@code least}. */
  boolean overloaded(int load, int least) {
    return load - least > settings.balanceAbsThreshold() && load > settings.balanceRelThreshold() * least;
  }

  /**
   * The session's first choice by rendezvous hashing, or its best-ranked worker that is not overloaded.
   * {@code cached} (may be null) holds the eligible workers' peer hashes.
   */
  private Provider rendezvous(List<Provider> eligible, CandidateCache.Entry cached, long session,
      ToIntFunction<String> inFlight, int least) {
    int n = eligible.size();
    int best = -1;
    long bestScore = 0;
    for (int i = 0; i < n; i++) {
      long s = PromptPrefix.mix(session + (cached != null ? cached.peerHashes[i] : peerHash(eligible.get(i).peerId())));
      if (best < 0 || Long.compareUnsigned(s, bestScore) > 0
          || (s == bestScore && eligible.get(i).peerId().compareTo(eligible.get(best).peerId()) < 0)) {
        best = i;
        bestScore = s;
      }
    }
    Provider first = eligible.get(best);
    if (!overloaded(inFlight.applyAsInt(first.peerId()), least)) {
      return first;
    }
    // Rare: the first choice is overloaded. The best-ranked of the others that is not (the least loaded
    // always qualifies), found in a second pass that also reads loads.
    Provider next = null;
    long nextScore = 0;
    for (int i = 0; i < n; i++) {
      Provider p = eligible.get(i);
      if (i == best || overloaded(inFlight.applyAsInt(p.peerId()), least)) {
        continue;
      }
      long s = score(session, p.peerId());
      if (next == null || Long.compareUnsigned(s, nextScore) > 0
          || (s == nextScore && p.peerId().compareTo(next.peerId()) < 0)) {
        next = p;
        nextScore = s;
      }
    }
    return next != null ? next : first;
  }

  /**
   * A worker's weight for a session: the same on every head (the peer id's String hash is defined by the
   * language), uniform and independent across workers.
   */
  static long score(long session, String peerId) {
    return PromptPrefix.mix(session + peerHash(peerId));
  }

  static long peerHash(String peerId) {
    return peerId.hashCode() * 0x9e3779b97f4a7c15L;
  }

  /**
   * The least loaded of {@code holders} that is eligible, or null if none is (they left, or were tried).
   * Looked up in {@code cached} when there is one, else found in one pass over the eligible workers.
   */
  private static Provider leastLoadedHolder(List<Provider> eligible, CandidateCache.Entry cached, String[] holders,
      ToIntFunction<String> inFlight) {
    Provider best = null;
    int bestLoad = Integer.MAX_VALUE;
    if (cached != null) {
      for (String h : holders) {
        Provider p = cached.find(h);
        if (p != null) {
          int load = inFlight.applyAsInt(p.peerId());
          if (load < bestLoad) {
            best = p;
            bestLoad = load;
          }
        }
      }
      return best;
    }
    int[] hashes = new int[holders.length];
    for (int k = 0; k < holders.length; k++) {
      hashes[k] = holders[k].hashCode();
    }
    int found = 0;
    for (int i = 0, n = eligible.size(); i < n && found < holders.length; i++) {
      Provider p = eligible.get(i);
      int h = p.peerId().hashCode();
      for (int k = 0; k < hashes.length; k++) {
        if (hashes[k] == h && holders[k].equals(p.peerId())) {
          found++;
          int load = inFlight.applyAsInt(p.peerId());
          if (load < bestLoad) {
            best = p;
            bestLoad = load;
          }
          break;
        }
      }
    }
    return best;
  }

  /** The least-loaded worker: exactly among few, ties broken from a random start; else two random choices. */
  private Provider leastLoaded(List<Provider> eligible, ToIntFunction<String> inFlight) {
    int n = eligible.size();
    if (n == 1) {
      return eligible.get(0);
    }
    if (n > EXACT_SCAN) {
      int i = random.nextInt(n);
      int j = random.nextInt(n - 1);
      Provider a = eligible.get(i);
      Provider b = eligible.get(j >= i ? j + 1 : j);
      int la = inFlight.applyAsInt(a.peerId());
      int lb = inFlight.applyAsInt(b.peerId());
      return la != lb ? (la < lb ? a : b) : (b.loadScore() < a.loadScore() ? b : a);
    }
    int start = random.nextInt(n);
    Provider best = null;
    int bestLoad = Integer.MAX_VALUE;
    for (int k = 0; k < n; k++) {
      Provider p = eligible.get((start + k) % n);
      int load = inFlight.applyAsInt(p.peerId());
      if (load < bestLoad || (load == bestLoad && p.loadScore() < best.loadScore())) {
        best = p;
        bestLoad = load;
      }
    }
    return best;
  }
}
