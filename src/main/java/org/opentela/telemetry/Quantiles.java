package org.opentela.telemetry;

/** Quantiles from histogram buckets, the way Prometheus's {@code histogram_quantile} computes them. */
public final class Quantiles {
  private Quantiles() {}

  /**
   * The {@code q}-quantile (0..1) of observations counted in {@code counts} (per bucket, not cumulative)
   * under the upper bounds {@code bounds} (ascending, the last +Inf): linear within the bucket that holds
   * the rank, from the previous bound (0 for the first). A rank in the +Inf bucket gives the highest finite
   * bound. NaN when there are no observations.
   */
  public static double of(double q, double[] bounds, long[] counts) {
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    if (total == 0) {
      return Double.NaN;
    }
    double rank = q * total;
    long cumulative = 0;
    for (int i = 0; i < counts.length; i++) {
      long before = cumulative;
      cumulative += counts[i];
      if (cumulative >= rank && counts[i] > 0) {
        if (Double.isInfinite(bounds[i])) {
          return i > 0 ? bounds[i - 1] : Double.NaN;
        }
        double lower = i == 0 ? 0 : bounds[i - 1];
        return lower + (bounds[i] - lower) * ((rank - before) / counts[i]);
      }
    }
    return bounds.length > 1 ? bounds[bounds.length - 2] : Double.NaN;
  }
}
