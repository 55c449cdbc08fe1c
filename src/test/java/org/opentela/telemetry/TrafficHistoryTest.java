package org.opentela.telemetry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TrafficHistoryTest {
  static final double[] BOUNDS = {0.1, 1, Double.POSITIVE_INFINITY};

  static TrafficSample sample(long millis, long requests, long errors, long[] buckets, long streams) {
    return new TrafficSample(millis, Map.of("m", new TrafficSample.ModelCounts(requests, errors, buckets)), BOUNDS,
        streams);
  }

  @Test
  void ratesArePerSecondBetweenSamplesAndTheFirstPointHasNone() {
    TrafficHistory h = new TrafficHistory(10, 3);
    h.add(sample(1_000, 0, 0, new long[] {0, 0, 0}, 0));
    h.add(sample(2_000, 4, 1, new long[] {4, 0, 0}, 2));
    h.add(sample(4_000, 10, 1, new long[] {4, 6, 0}, 1));
    TrafficHistory.Points p = h.since(0);
    assertEquals(3, p.seq());
    assertArrayEquals(new long[] {1_000, 2_000, 4_000}, p.time());
    TrafficHistory.ModelSeries m = p.models().get("m");
    assertNull(m.rps()[0], "no rate before a second sample");
    assertEquals(4f, m.rps()[1]);
    assertEquals(3f, m.rps()[2], "6 requests over 2 s");
    assertEquals(1f, m.errors()[1]);
    assertEquals(0f, m.errors()[2]);
    assertArrayEquals(new Float[] {0f, 2f, 1f}, p.streams());
    assertTrue(m.ttfbP50()[1] <= 0.1f, "4 first bytes under 100 ms: " + m.ttfbP50()[1]);
    assertTrue(m.ttfbP99()[2] > 0.1f && m.ttfbP99()[2] <= 1f, "6 more under 1 s: " + m.ttfbP99()[2]);
  }

  @Test
  void sinceGivesOnlyNewPointsAndTheRingKeepsTheLastCapacity() {
    TrafficHistory h = new TrafficHistory(4, 2);
    for (int i = 1; i <= 6; i++) {
      h.add(sample(i * 1000L, i, 0, new long[] {i, 0, 0}, 0));
    }
    assertEquals(1, h.since(5).time().length);
    assertEquals(6_000, h.since(5).time()[0]);
    TrafficHistory.Points all = h.since(0);
    assertEquals(3, all.fromSeq(), "points 1 and 2 were overwritten");
    assertArrayEquals(new long[] {3_000, 4_000, 5_000, 6_000}, all.time());
    assertEquals(0, h.since(6).time().length);
    assertEquals(2, h.last(2).time().length);
  }

  @Test
  void aModelThatStopsBeingReportedGetsGaps() {
    TrafficHistory h = new TrafficHistory(5, 1);
    h.add(sample(1_000, 1, 0, new long[] {1, 0, 0}, 0));
    h.add(sample(2_000, 2, 0, new long[] {2, 0, 0}, 0));
    h.add(new TrafficSample(3_000, Map.of(), BOUNDS, 0));
    Float[] rps = h.since(0).models().get("m").rps();
    assertEquals(1f, rps[1]);
    assertNull(rps[2]);
  }

  @Test
  void rejectsASizeThatCannotHoldARate() {
    assertThrows(IllegalArgumentException.class, () -> new TrafficHistory(1, 1));
  }

  @Test
  void quantilesInterpolateWithinTheirBucketAsPrometheusDoes() {
    double[] bounds = {1, 2, Double.POSITIVE_INFINITY};
    assertEquals(1.5, Quantiles.of(0.5, bounds, new long[] {0, 10, 0}), 1e-9);
    assertEquals(0.5, Quantiles.of(0.25, bounds, new long[] {5, 5, 0}), 1e-9);
    assertEquals(2, Quantiles.of(0.99, bounds, new long[] {0, 1, 9}), 1e-9, "the +Inf bucket gives the last bound");
    assertTrue(Double.isNaN(Quantiles.of(0.5, bounds, new long[] {0, 0, 0})));
  }
}
