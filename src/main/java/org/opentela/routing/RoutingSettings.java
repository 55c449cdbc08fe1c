package org.opentela.routing;

import com.typesafe.config.Config;
import java.time.Duration;
import org.opentela.config.ConfigReader;

/** Settings of request routing, read from {@code otela.lb-policy}, {@code otela.routing.*} and {@code otela.http.max_body}. */
public record RoutingSettings(
    Selection.Policy policy,
    int maxRetries,
    Duration firstByteTimeout,
    Duration requestTimeout,
    Duration cooldown,
    long maxBody,
    CacheAwareSettings cacheAware) {
  private static final Duration MAX_SWEEP = Duration.ofSeconds(1);
  private static final Duration MIN_SWEEP = Duration.ofMillis(10);

  /** With the {@code cache-aware} policy's default settings. */
  public RoutingSettings(Selection.Policy policy, int maxRetries, Duration firstByteTimeout, Duration requestTimeout,
      Duration cooldown, long maxBody) {
    this(policy, maxRetries, firstByteTimeout, requestTimeout, cooldown, maxBody, CacheAwareSettings.DEFAULTS);
  }

  public static RoutingSettings fromConfig(Config config) {
    ConfigReader r = new ConfigReader(config);
    Selection.Policy policy = Selection.Policy.parse(
        r.choice("otela.lb-policy", "least-loaded", "random", "round-robin", "cache-aware"));
    Duration firstByte = r.duration("otela.routing.first_byte_timeout");
    Duration total = r.duration("otela.routing.request_timeout");
    if (total.compareTo(firstByte) < 0) {
      throw org.opentela.config.UsageException.badValue("otela.routing.request_timeout", total,
          ">= --routing.first_byte_timeout (" + firstByte + ")");
    }
    CacheAwareSettings cacheAware = new CacheAwareSettings(
        r.intInRange("otela.routing.balance_abs_threshold", 0, Integer.MAX_VALUE),
        r.doubleInRange("otela.routing.balance_rel_threshold", 1, 1000),
        r.intInRange("otela.routing.prefix_index_size", 1, 1 << 24),
        r.doubleInRange("otela.routing.cache_threshold", 0, 1));
    return new RoutingSettings(policy, r.intInRange("otela.routing.max_retries", 0, 10), firstByte, total,
        r.duration("otela.routing.cooldown"), r.bytes("otela.http.max_body"), cacheAware);
  }

  /**
   * How often the router looks for attempts past the first-byte timeout: a tenth of it, at most a second,
   * so the timeout fires at most 10% late (and a test with a timeout of milliseconds needs no second).
   */
  public Duration sweepInterval() {
    Duration tenth = firstByteTimeout.dividedBy(10);
    if (tenth.compareTo(MAX_SWEEP) > 0) {
      return MAX_SWEEP;
    }
    return tenth.compareTo(MIN_SWEEP) < 0 ? MIN_SWEEP : tenth;
  }
}
