package org.opentela.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.opentela.config.CommandLine;
import org.opentela.config.UsageException;

class RoutingSettingsTest {
  private static RoutingSettings withFirstByteTimeout(Duration d) {
    return new RoutingSettings(Selection.Policy.LEAST_LOADED, 2, d, d.multipliedBy(2), Duration.ofSeconds(10), 1024);
  }

  private static RoutingSettings of(String... args) {
    return RoutingSettings.fromConfig(CommandLine.parse(args).load(new Properties()));
  }

  @Test
  void theTimeoutSweepRunsEveryTenthOfTheFirstByteTimeoutAtMostEverySecond() {
    assertEquals(Duration.ofSeconds(1), withFirstByteTimeout(Duration.ofMinutes(10)).sweepInterval());
    assertEquals(Duration.ofMillis(500), withFirstByteTimeout(Duration.ofSeconds(5)).sweepInterval());
    assertEquals(Duration.ofMillis(10), withFirstByteTimeout(Duration.ofMillis(100)).sweepInterval());
    assertEquals(Duration.ofMillis(10), withFirstByteTimeout(Duration.ofMillis(20)).sweepInterval(), "at least 10 ms");
  }

  @Test
  void theDefaultsAreReadFromReferenceConf() {
    RoutingSettings s = RoutingSettings.fromConfig(ConfigFactory.load());
    assertEquals(Selection.Policy.CACHE_AWARE, s.policy(), "the benchmark found it never worse than least-loaded");
    assertEquals(Duration.ofMinutes(10), s.firstByteTimeout());
    assertEquals(Duration.ofSeconds(1), s.sweepInterval());
  }

  @Test
  void aRequestTimeoutShorterThanTheFirstByteTimeoutIsRefused() {
    UsageException e = assertThrows(UsageException.class, () -> RoutingSettings.fromConfig(ConfigFactory.parseString(
        "otela.routing.request_timeout = 1s\notela.routing.first_byte_timeout = 2s").withFallback(ConfigFactory.load())));
    assertTrue(e.getMessage().contains("first_byte_timeout"), e.getMessage());
  }

  @Test
  void cacheAwareIsAPolicyWithDocumentedDefaults() {
    RoutingSettings s = of("start", "--lb-policy", "cache-aware");
    assertEquals(Selection.Policy.CACHE_AWARE, s.policy());
    assertEquals(CacheAwareSettings.DEFAULTS, s.cacheAware());
    assertEquals(new CacheAwareSettings(8, 2.0, 1000, 0.6), of("start", "--routing.balance_abs_threshold", "8",
        "--routing.balance_rel_threshold", "2", "--routing.prefix_index_size", "1000",
        "--routing.cache_threshold", "0.6").cacheAware());
  }

  @Test
  void badValuesNameTheFlag() {
    assertEquals("--routing.balance_rel_threshold: '0.5' (expected: a number 1.0..1000.0)",
        assertThrows(UsageException.class, () -> of("start", "--routing.balance_rel_threshold", "0.5")).getMessage());
    assertEquals("--lb-policy: 'sticky' (expected: one of least-loaded, random, round-robin, cache-aware)",
        assertThrows(UsageException.class, () -> of("start", "--lb-policy", "sticky")).getMessage());
  }
}
