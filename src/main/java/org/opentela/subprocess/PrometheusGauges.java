package org.opentela.subprocess;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.opentela.table.Load;

/**
 * Reads vLLM's load gauges from a Prometheus text exposition ({@code GET /metrics}):
 * {@code vllm:num_requests_running}, {@code vllm:num_requests_waiting} and the KV cache usage
 * ({@code vllm:gpu_cache_usage_perc}, renamed {@code vllm:kv_cache_usage_perc} in newer vLLM). A gauge
 * may appear once per label set (e.g. per {@code model_name}); the values are summed, except the cache
 * usage, a fraction per engine, of which the largest is taken.
 */
final class PrometheusGauges {
  static final String RUNNING = "vllm:num_requests_running";
  static final String WAITING = "vllm:num_requests_waiting";
  static final String GPU_CACHE = "vllm:gpu_cache_usage_perc";
  static final String KV_CACHE = "vllm:kv_cache_usage_perc";

  private PrometheusGauges() {}

  /** The load in {@code text}, or empty when it has none of the gauges. */
  static Optional<Load> parse(String text, long sampledAtMillis) {
    Map<String, Double> sums = new HashMap<>();
    Map<String, Double> maxima = new HashMap<>();
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String name = metricName(line);
      if (!name.equals(RUNNING) && !name.equals(WAITING) && !name.equals(GPU_CACHE) && !name.equals(KV_CACHE)) {
        continue;
      }
      Double value = value(line, name.length());
      if (value == null) {
        continue;
      }
      sums.merge(name, value, Double::sum);
      maxima.merge(name, value, Math::max);
    }
    if (sums.isEmpty()) {
      return Optional.empty();
    }
    double cache = Math.max(maxima.getOrDefault(GPU_CACHE, 0.0), maxima.getOrDefault(KV_CACHE, 0.0));
    return Optional.of(new Load(sums.getOrDefault(RUNNING, 0.0), sums.getOrDefault(WAITING, 0.0),
        Math.min(1.0, Math.max(0.0, cache)), sampledAtMillis));
  }

  private static String metricName(String line) {
    int end = 0;
    while (end < line.length() && line.charAt(end) != '{' && !Character.isWhitespace(line.charAt(end))) {
      end++;
    }
    return line.substring(0, end);
  }

  /** The sample value after the name and optional labels; null if the line is not a sample. */
  private static Double value(String line, int afterName) {
    int i = afterName;
    if (i < line.length() && line.charAt(i) == '{') {
      i = endOfLabels(line, i);
      if (i < 0) {
        return null;
      }
    }
    String[] rest = line.substring(i).strip().split("\\s+");
    if (rest.length == 0 || rest[0].isEmpty()) {
      return null;
    }
    try {
      double v = Double.parseDouble(rest[0]);
      return Double.isFinite(v) ? v : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Index just past the closing brace of the label set opening at {@code open}; label values may hold '}'. */
  private static int endOfLabels(String line, int open) {
    boolean quoted = false;
    for (int i = open + 1; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted && c == '\\') {
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == '}' && !quoted) {
        return i + 1;
      }
    }
    return -1;
  }
}
