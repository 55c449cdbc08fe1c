package org.opentela.telemetry;

import java.util.Map;

/**
 * A node's traffic counters at one instant, as the dashboard's history samples them: per model, requests
 * and errors so far and the time-to-first-byte histogram's bucket counts; the streams open now.
 *
 * @param ttfbBounds the histogram's upper bounds in seconds, the last one +Inf
 */
public record TrafficSample(long timeMillis, Map<String, ModelCounts> models, double[] ttfbBounds, long openStreams) {

  /**
   * One model's counters since the node started.
   *
   * @param ttfbBuckets requests per bucket of {@code ttfbBounds} (not cumulative)
   */
  public record ModelCounts(long requests, long errors, long[] ttfbBuckets) {}
}
