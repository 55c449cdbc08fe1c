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
}
