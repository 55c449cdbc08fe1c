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
    long maxBody) {
  private static final Duration MAX_SWEEP = Duration.ofSeconds(1);
  private static final Duration MIN_SWEEP = Duration.ofMillis(10);

  public static RoutingSettings fromConfig(Config config) {
    ConfigReader r = new ConfigReader(config);
    Selection.Policy policy = Selection.Policy.parse(
        r.choice("otela.lb-policy", "least-loaded", "random", "round-robin"));
    Duration firstByte = r.duration("otela.routing.first_byte_timeout");
    Duration total = r.duration("otela.routing.request_timeout");
    if (total.compareTo(firstByte) < 0) {
      throw org.opentela.config.UsageException.badValue("otela.routing.request_timeout", total,
          ">= --routing.first_byte_timeout (" + firstByte + ")");
    }
    return new RoutingSettings(policy, r.intInRange("otela.routing.max_retries", 0, 10), firstByte, total,
        r.duration("otela.routing.cooldown"), r.bytes("otela.http.max_body"));
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
