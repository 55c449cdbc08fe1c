package org.opentela.routing;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import java.util.random.RandomGenerator;

/**
 * Picks one provider among the matching ones. Providers already tried for this request are never picked;
 * providers cooling down after a failure are picked only when nothing else is left.
 *
 * <ul>
 *   <li>{@code least-loaded}: power of two random choices on this node's outstanding requests
 *       per provider; ties go to the lower reported load, then to the first choice.</li>
 *   <li>{@code random}: uniform.</li>
 *   <li>{@code round-robin}: in turn, over the candidates in table order.</li>
 *   <li>{@code cache-aware} (default): where the request's session or prompt prefix is likely cached, unless
 *       that worker is overloaded; else as least-loaded ({@link CacheAware}).</li>
 * </ul>
 * Not thread-safe: one instance per router.
 */
public final class Selection {
  public enum Policy {
    RANDOM, ROUND_ROBIN, LEAST_LOADED, CACHE_AWARE;

    public static Policy parse(String s) {
      return valueOf(s.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
  }

  private final Policy policy;
  private final RandomGenerator random;
  private final CacheAware cacheAware;
  private long turn;

  public Selection(Policy policy, RandomGenerator random) {
    this(policy, random, CacheAwareSettings.DEFAULTS);
  }

  public Selection(Policy policy, RandomGenerator random, CacheAwareSettings cacheAware) {
    this.policy = policy;
    this.random = random;
    this.cacheAware = policy == Policy.CACHE_AWARE ? new CacheAware(cacheAware, random) : null;
  }

  public Policy policy() {
    return policy;
  }

  /** Whether this policy routes by the prompt, so the HTTP layer should hash it ({@link PromptPrefix}). */
  public static boolean readsPrompt(Policy policy) {
    return policy == Policy.CACHE_AWARE;
  }

  /** The request's {@link Affinity} if this policy uses it, else {@link Affinity#NONE} (and nothing is computed). */
  public Affinity affinity(String service, MatchFields fields, List<String> headers) {
    return cacheAware == null ? Affinity.NONE : Affinity.of(service, fields, headers);
  }

  /**
   * @param tried       providers already tried for this request
   * @param coolingDown providers that failed recently
   * @param inFlight    this node's outstanding requests per provider
   * @return the chosen provider, or null if every candidate was tried
   */
  public Provider pick(List<Provider> candidates, Predicate<String> tried, Predicate<String> coolingDown,
      ToIntFunction<String> inFlight) {
    return pick(candidates, tried, coolingDown, inFlight, Affinity.NONE);
  }

  /** As {@link #pick(List, Predicate, Predicate, ToIntFunction)}, for a request with this affinity. */
  public Provider pick(List<Provider> candidates, Predicate<String> tried, Predicate<String> coolingDown,
      ToIntFunction<String> inFlight, Affinity affinity) {
    List<Provider> eligible = eligible(candidates, tried, coolingDown);
    int n = eligible.size();
    if (n == 0) {
      return null;
    }
    if (n == 1) {
      return eligible.get(0);
    }
    switch (policy) {
      case RANDOM:
        return eligible.get(random.nextInt(n));
      case ROUND_ROBIN:
        return eligible.get((int) Math.floorMod(turn++, (long) n));
      case CACHE_AWARE:
        return cacheAware.pick(eligible, inFlight, affinity);
      default:
        int i = random.nextInt(n);
        int j = random.nextInt(n - 1);
        Provider a = eligible.get(i);
        Provider b = eligible.get(j >= i ? j + 1 : j);
        int la = inFlight.applyAsInt(a.peerId());
        int lb = inFlight.applyAsInt(b.peerId());
        if (la != lb) {
          return la < lb ? a : b;
        }
        return b.loadScore() < a.loadScore() ? b : a;
    }
  }

  /** The candidates not yet tried, preferring those not cooling down. Allocates only when it must filter. */
  private static List<Provider> eligible(List<Provider> candidates, Predicate<String> tried,
      Predicate<String> coolingDown) {
    boolean clean = true;
    for (Provider p : candidates) {
      if (tried.test(p.peerId()) || coolingDown.test(p.peerId())) {
        clean = false;
        break;
      }
    }
    if (clean) {
      return candidates;
    }
    List<Provider> untried = new ArrayList<>(candidates.size());
    List<Provider> healthy = new ArrayList<>(candidates.size());
    for (Provider p : candidates) {
      if (!tried.test(p.peerId())) {
        untried.add(p);
        if (!coolingDown.test(p.peerId())) {
          healthy.add(p);
        }
      }
    }
    return healthy.isEmpty() ? untried : healthy;
  }
}
