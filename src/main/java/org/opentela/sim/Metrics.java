package org.opentela.sim;

import java.util.Collection;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * GET /metrics: the engines' live state in the Prometheus text format (0.0.4), under vLLM's metric names
 * and {@code model_name} label, so load-aware routers and dashboards built for vLLM read the sim as they
 * read vLLM. The KV cache is modelled in sequences: a full engine (max-num-seqs running) is a full cache,
 * which is also when vLLM starts making requests wait. The prefix-cache counters count tokens, as vLLM's:
 * hits / queries is the fraction of prompt tokens that needed no prefill.
 */
final class Metrics {
  private Metrics() {}

  static String render(Collection<Engine> engines, int maxNumSeqs) {
    StringBuilder sb = new StringBuilder(4096);
    gauge(sb, engines, "vllm:num_requests_running", "Number of requests in model execution batches.",
        s -> s.running());
    gauge(sb, engines, "vllm:num_requests_waiting", "Number of requests waiting to be processed.",
        s -> s.waiting());
    gauge(sb, engines, "vllm:gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage.",
        s -> (double) s.running() / maxNumSeqs);
    gauge(sb, engines, "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.",
        s -> (double) s.running() / maxNumSeqs);
    counter(sb, engines, "vllm:prompt_tokens_total", "Number of prefill tokens processed.", SimStats::promptTokens);
    counter(sb, engines, "vllm:generation_tokens_total", "Number of generation tokens processed.",
        SimStats::generatedTokens);
    counter(sb, engines, "vllm:request_success_total", "Count of successfully processed requests.",
        SimStats::completed);
    cacheCounter(sb, engines, "vllm:prefix_cache_queries_total",
        "Prefix cache queries, in terms of number of queried tokens.", PrefixCache::queries);
    cacheCounter(sb, engines, "vllm:prefix_cache_hits_total",
        "Prefix cache hits, in terms of number of cached tokens.", PrefixCache::hits);
    counter(sb, engines, "llm_sim:requests_cancelled_total",
        "Requests whose client went away before their generation finished.", SimStats::cancelled);
    counter(sb, engines, "llm_sim:requests_failed_total", "Requests answered 500 by --fail-rate.",
        SimStats::failed);
    return sb.toString();
  }

  private static void gauge(StringBuilder sb, Collection<Engine> engines, String name, String help,
      ToDoubleFunction<SimStats> v) {
    family(sb, engines, name, "gauge", help, e -> v.applyAsDouble(e.stats()));
  }

  private static void counter(StringBuilder sb, Collection<Engine> engines, String name, String help,
      ToLongFunction<SimStats> v) {
    family(sb, engines, name, "counter", help, e -> v.applyAsLong(e.stats()));
  }

  private static void cacheCounter(StringBuilder sb, Collection<Engine> engines, String name, String help,
      ToLongFunction<PrefixCache> v) {
    family(sb, engines, name, "counter", help, e -> v.applyAsLong(e.prefixCache()));
  }

  private static void family(StringBuilder sb, Collection<Engine> engines, String name, String type, String help,
      ToDoubleFunction<Engine> v) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    for (Engine e : engines) {
      sb.append(name).append("{model_name=\"").append(escapeLabel(e.model())).append("\"} ")
          .append(v.applyAsDouble(e)).append('\n');
    }
  }

  /** Label values escape backslash, quote and newline. */
  static String escapeLabel(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
