package org.opentela.telemetry;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The last {@code capacity} samples of a node's traffic, as rates and quantiles ready to chart: per model,
 * requests and errors (5xx) per second and time to first byte p50/p99; over all models, time to first byte
 * p50/p99 and the open streams. Rates are per sampling interval; quantiles are over the last
 * {@code window} intervals, so a quiet second does not blank the latency chart. A fixed ring of floats per
 * series: adding a sample allocates nothing once a model's series exist. Not thread-safe: one owner
 * ({@link PoolHistory}).
 */
public final class TrafficHistory {
  /** The series of one model (and of "all models" for the quantiles). */
  private static final class Series {
    final float[] rps;
    final float[] errors;
    final float[] p50;
    final float[] p99;
    final Deque<long[]> recentBuckets = new ArrayDeque<>();
    long lastRequests = -1;
    long lastErrors = -1;
    long lastSeenSeq;

    Series(int capacity) {
      rps = nans(capacity);
      errors = nans(capacity);
      p50 = nans(capacity);
      p99 = nans(capacity);
    }
  }

  /** Series ready for JSON: one value per point, null where there is no value (a gap in a chart). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record ModelSeries(Float[] rps, Float[] errors, Float[] ttfbP50, Float[] ttfbP99) {}

  /**
   * Points {@code fromSeq}..{@code seq} (inclusive): {@code time} in unix milliseconds, each series as long
   * as {@code time}. {@code seq} is the last point's number; ask again with it for what came after.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Points(long seq, long fromSeq, long[] time, Map<String, ModelSeries> models, Float[] ttfbP50,
      Float[] ttfbP99, Float[] streams) {}

  private final int capacity;
  private final int window;
  private final long[] time;
  private final float[] streams;
  private final Series all;
  private final Map<String, Series> models = new HashMap<>();
  private long seq; // number of the last point; the first is 1
  private long lastMillis;
  private double[] bounds;

  /**
   * @param capacity points kept (900 at one per second: 15 minutes)
   * @param window   intervals the latency quantiles are computed over
   */
  public TrafficHistory(int capacity, int window) {
    if (capacity < 2 || window < 1) {
      throw new IllegalArgumentException("capacity: " + capacity + ", window: " + window
          + " (expected: capacity >= 2, window >= 1)");
    }
    this.capacity = capacity;
    this.window = window;
    this.time = new long[capacity];
    this.streams = nans(capacity);
    this.all = new Series(capacity);
  }

  public long seq() {
    return seq;
  }

  public int capacity() {
    return capacity;
  }

  /** Appends {@code s}, overwriting the oldest point once the ring is full. */
  public void add(TrafficSample s) {
    double seconds = lastMillis == 0 ? Double.NaN : Math.max(1, s.timeMillis() - lastMillis) / 1000.0;
    lastMillis = s.timeMillis();
    bounds = s.ttfbBounds();
    seq++;
    int at = (int) ((seq - 1) % capacity);
    time[at] = s.timeMillis();
    streams[at] = s.openStreams();
    long[] sum = new long[bounds.length];
    for (Map.Entry<String, TrafficSample.ModelCounts> e : s.models().entrySet()) {
      TrafficSample.ModelCounts c = e.getValue();
      Series m = models.computeIfAbsent(e.getKey(), k -> new Series(capacity));
      m.lastSeenSeq = seq;
      m.rps[at] = rate(c.requests(), m.lastRequests, seconds);
      m.errors[at] = rate(c.errors(), m.lastErrors, seconds);
      m.lastRequests = c.requests();
      m.lastErrors = c.errors();
      quantiles(m, at, c.ttfbBuckets());
      for (int i = 0; i < sum.length && i < c.ttfbBuckets().length; i++) {
        sum[i] += c.ttfbBuckets()[i];
      }
    }
    quantiles(all, at, sum);
    // A model that stopped being reported gets gaps, and is forgotten when it left the whole window.
    for (Iterator<Map.Entry<String, Series>> it = models.entrySet().iterator(); it.hasNext(); ) {
      Series m = it.next().getValue();
      if (m.lastSeenSeq != seq) {
        if (seq - m.lastSeenSeq >= capacity) {
          it.remove();
        } else {
          m.rps[at] = Float.NaN;
          m.errors[at] = Float.NaN;
          m.p50[at] = Float.NaN;
          m.p99[at] = Float.NaN;
        }
      }
    }
  }

  private static float rate(long now, long before, double seconds) {
    if (before < 0 || Double.isNaN(seconds)) {
      return before < 0 && !Double.isNaN(seconds) ? (float) (now / seconds) : Float.NaN;
    }
    return (float) (Math.max(0, now - before) / seconds);
  }

  /** The quantiles at {@code at} over the requests of the last {@link #window} intervals. */
  private void quantiles(Series m, int at, long[] cumulativeNow) {
    m.recentBuckets.addLast(cumulativeNow.clone());
    while (m.recentBuckets.size() > window + 1) {
      m.recentBuckets.removeFirst();
    }
    long[] oldest = m.recentBuckets.size() > window ? m.recentBuckets.peekFirst() : new long[cumulativeNow.length];
    long[] delta = new long[cumulativeNow.length];
    for (int i = 0; i < delta.length; i++) {
      delta[i] = Math.max(0, cumulativeNow[i] - (i < oldest.length ? oldest[i] : 0));
    }
    m.p50[at] = (float) Quantiles.of(0.5, bounds, delta);
    m.p99[at] = (float) Quantiles.of(0.99, bounds, delta);
  }

  /** The points after {@code afterSeq} (all kept points when it is older than the ring, or 0). */
  public Points since(long afterSeq) {
    // afterSeq comes from a client: compared, never added to, so Long.MAX_VALUE cannot wrap around.
    long first = afterSeq >= seq ? seq + 1 : Math.max(Math.max(afterSeq + 1, seq - capacity + 1), 1);
    int n = (int) Math.max(0, seq - first + 1);
    long[] t = new long[n];
    for (int i = 0; i < n; i++) {
      t[i] = time[index(first + i)];
    }
    Map<String, ModelSeries> out = new TreeMap<>();
    models.forEach((name, m) -> out.put(name, new ModelSeries(slice(m.rps, first, n), slice(m.errors, first, n),
        slice(m.p50, first, n), slice(m.p99, first, n))));
    return new Points(seq, first, t, out, slice(all.p50, first, n), slice(all.p99, first, n),
        slice(streams, first, n));
  }

  /** The last {@code n} points. */
  public Points last(int n) {
    return since(seq - n);
  }

  private int index(long s) {
    return (int) ((s - 1) % capacity);
  }

  private Float[] slice(float[] ring, long first, int n) {
    Float[] out = new Float[n];
    for (int i = 0; i < n; i++) {
      float v = ring[index(first + i)];
      out[i] = Float.isNaN(v) || Float.isInfinite(v) ? null : v;
    }
    return out;
  }

  private static float[] nans(int n) {
    float[] a = new float[n];
    Arrays.fill(a, Float.NaN);
    return a;
  }

  /** Names of the models with series, sorted. */
  public List<String> modelNames() {
    return new ArrayList<>(new TreeMap<>(models).keySet());
  }
}
