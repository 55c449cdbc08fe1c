package org.opentela.subprocess;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.opentela.table.Load;

/**
 * Reads a backend's load gauges from a Prometheus text exposition ({@code GET /metrics}), mapped to the same
 * running / waiting / cache fields whichever server it is:
 * <ul>
 *   <li>vLLM: {@code vllm:num_requests_running}, {@code vllm:num_requests_waiting}, the KV cache usage
 *       {@code vllm:gpu_cache_usage_perc} (renamed {@code vllm:kv_cache_usage_perc} in newer vLLM);</li>
 *   <li>llama.cpp's {@code llama-server --metrics}: {@code llamacpp:requests_processing},
 *       {@code llamacpp:requests_deferred}, {@code llamacpp:kv_cache_usage_ratio} (absent in newer
 *       builds: the cache stays 0);</li>
 *   <li>SGLang ({@code --enable-metrics}): {@code sglang:num_running_reqs}, {@code sglang:num_queue_reqs},
 *       {@code sglang:token_usage} (the fraction of KV cache tokens in use).</li>
 * </ul>
 * A gauge may appear once per label set (e.g. per {@code model_name}); the values are summed, except the
 * cache usage, a fraction per engine, of which the largest is taken.
 */
final class PrometheusGauges {
  static final String RUNNING = "vllm:num_requests_running";
  static final String WAITING = "vllm:num_requests_waiting";
  static final String GPU_CACHE = "vllm:gpu_cache_usage_perc";
  static final String KV_CACHE = "vllm:kv_cache_usage_perc";

  /** Which field each known gauge feeds. */
  private enum Field { RUNNING, WAITING, CACHE }

  private static final Map<String, Field> GAUGES = Map.of(
      RUNNING, Field.RUNNING, WAITING, Field.WAITING, GPU_CACHE, Field.CACHE, KV_CACHE, Field.CACHE,
      "llamacpp:requests_processing", Field.RUNNING, "llamacpp:requests_deferred", Field.WAITING,
      "llamacpp:kv_cache_usage_ratio", Field.CACHE,
      "sglang:num_running_reqs", Field.RUNNING, "sglang:num_queue_reqs", Field.WAITING,
      "sglang:token_usage", Field.CACHE);

  private PrometheusGauges() {}

  /** The load in {@code text}, or empty when it has none of the gauges. */
  static Optional<Load> parse(String text, long sampledAtMillis) {
    Map<Field, Double> sums = new EnumMap<>(Field.class);
    double cache = 0;
    for (String raw : text.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String name = metricName(line);
      Field field = GAUGES.get(name);
      if (field == null) {
        continue;
      }
      Double value = value(line, name.length());
      if (value == null) {
        continue;
      }
      sums.merge(field, value, Double::sum);
      if (field == Field.CACHE) {
        cache = Math.max(cache, value);
      }
    }
    if (sums.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new Load(sums.getOrDefault(Field.RUNNING, 0.0), sums.getOrDefault(Field.WAITING, 0.0),
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
