package org.opentela.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opentela.table.Load;

class PrometheusGaugesTest {

  @Test
  void readsVllmGaugesWithLabels() {
    String text = """
        # HELP vllm:num_requests_running Number of requests currently running on GPU.
        # TYPE vllm:num_requests_running gauge
        vllm:num_requests_running{engine="0",model_name="Qwen/Qwen3-8B"} 3.0
        # TYPE vllm:num_requests_waiting gauge
        vllm:num_requests_waiting{engine="0",model_name="Qwen/Qwen3-8B"} 2.0
        # TYPE vllm:gpu_cache_usage_perc gauge
        vllm:gpu_cache_usage_perc{engine="0",model_name="Qwen/Qwen3-8B"} 0.25
        vllm:num_requests_running_total 99
        process_resident_memory_bytes 1.2e+09
        """;
    Load load = PrometheusGauges.parse(text, 42).orElseThrow();
    assertEquals(new Load(3, 2, 0.25, 42), load);
  }

  @Test
  void sumsRequestsAcrossLabelSetsAndTakesTheFullestCache() {
    String text = """
        vllm:num_requests_running{model_name="a"} 1
        vllm:num_requests_running{model_name="b"} 4
        vllm:num_requests_waiting{model_name="a"} 0
        vllm:num_requests_waiting{model_name="b"} 5 1712345678000
        vllm:kv_cache_usage_perc{engine="0"} 0.5
        vllm:kv_cache_usage_perc{engine="1"} 0.75
        vllm:gpu_cache_usage_perc{engine="0"} 0.5
        """;
    assertEquals(new Load(5, 5, 0.75, 7), PrometheusGauges.parse(text, 7).orElseThrow());
  }

  @Test
  void labelValuesMayHoldBracesSpacesAndEscapedQuotes() {
    String text = "vllm:num_requests_running{model_name=\"we}ird \\\"name\\\"\",x=\"y\"} 6\n";
    assertEquals(6, PrometheusGauges.parse(text, 0).orElseThrow().running());
  }

  @Test
  void noGaugesIsEmpty() {
    assertTrue(PrometheusGauges.parse("", 0).isEmpty());
    assertTrue(PrometheusGauges.parse("# just comments\nhttp_requests_total 5\n", 0).isEmpty());
  }

  @Test
  void skipsMalformedAndNonFiniteSamples() {
    String text = """
        vllm:num_requests_running{model_name="a"
        vllm:num_requests_running abc
        vllm:num_requests_running NaN
        vllm:num_requests_running +Inf
        vllm:num_requests_waiting 1
        """;
    assertEquals(new Load(0, 1, 0, 0), PrometheusGauges.parse(text, 0).orElseThrow());
  }

  @Test
  void clampsCacheUsageToAFraction() {
    assertEquals(1.0, PrometheusGauges.parse("vllm:gpu_cache_usage_perc 1.7\n", 0).orElseThrow().kvCacheUsage());
  }

  @Test
  void readsLlamaCppServersGauges() {
    // llama-server --metrics (issue 13, item 9: load stayed null for llama.cpp).
    String text = """
        # HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.
        # TYPE llamacpp:prompt_tokens_total counter
        llamacpp:prompt_tokens_total 4096
        # HELP llamacpp:kv_cache_usage_ratio KV-cache usage. 1 means 100 percent usage.
        # TYPE llamacpp:kv_cache_usage_ratio gauge
        llamacpp:kv_cache_usage_ratio 0.25
        # HELP llamacpp:requests_processing Number of requests processing.
        # TYPE llamacpp:requests_processing gauge
        llamacpp:requests_processing 2
        # HELP llamacpp:requests_deferred Number of requests deferred.
        # TYPE llamacpp:requests_deferred gauge
        llamacpp:requests_deferred 3
        """;
    Load load = PrometheusGauges.parse(text, 7).orElseThrow();
    assertEquals(2, load.running());
    assertEquals(3, load.waiting());
    assertEquals(0.25, load.kvCacheUsage());
    // Newer llama-server builds have no cache gauge: the requests still count.
    Load noCache = PrometheusGauges.parse("llamacpp:requests_processing 1\nllamacpp:requests_deferred 0\n", 7)
        .orElseThrow();
    assertEquals(1, noCache.running());
    assertEquals(0, noCache.kvCacheUsage());
  }

  @Test
  void readsSglangsGauges() {
    String text = """
        # HELP sglang:num_running_reqs The number of running requests.
        # TYPE sglang:num_running_reqs gauge
        sglang:num_running_reqs{model_name="Qwen/Qwen3-8B"} 5.0
        # HELP sglang:num_queue_reqs The number of requests in the waiting queue.
        # TYPE sglang:num_queue_reqs gauge
        sglang:num_queue_reqs{model_name="Qwen/Qwen3-8B"} 1.0
        # HELP sglang:token_usage The token usage.
        # TYPE sglang:token_usage gauge
        sglang:token_usage{model_name="Qwen/Qwen3-8B"} 0.62
        sglang:cache_hit_rate{model_name="Qwen/Qwen3-8B"} 0.9
        """;
    Load load = PrometheusGauges.parse(text, 7).orElseThrow();
    assertEquals(5, load.running());
    assertEquals(1, load.waiting());
    assertEquals(0.62, load.kvCacheUsage());
  }
}
