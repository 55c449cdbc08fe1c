package org.opentela.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The prefix cache as a client and a metrics scraper see it: usage's cached_tokens, vLLM's counters, the reset. */
class SimPrefixCacheHttpTest {
  private static final String SYSTEM = "You answer questions about caches, briefly and exactly. ".repeat(20);
  private static LlmSim sim;
  private static SimHttp http;

  @BeforeAll
  static void start() {
    sim = LlmSim.start(SimSettings.defaults().withPort(0).withModels("m").withLatency(0, 0).withMaxTokens(3)
        .withMaxModelLen(100_000).withPrefixCache(100_000, 0));
    http = new SimHttp(sim.port());
  }

  @AfterAll
  static void stop() {
    sim.close();
  }

  private static String chat(String question, boolean stream) {
    return "{\"model\":\"m\",\"stream\":" + stream + (stream ? ",\"stream_options\":{\"include_usage\":true}" : "")
        + ",\"messages\":[{\"role\":\"system\",\"content\":\"" + SYSTEM + "\"},"
        + "{\"role\":\"user\",\"content\":\"" + question + "\"}]}";
  }

  private static double metric(String name) {
    String text = http.get("/metrics").body();
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{model_name=\"m\"} ([0-9.E]+)$").matcher(text);
    assertTrue(m.find(), name + " in " + text);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void aSharedSystemPromptIsReportedCachedAsVllmReportsIt() {
    http.post("/reset_prefix_cache", "");
    double queries0 = metric("vllm:prefix_cache_queries_total");
    double hits0 = metric("vllm:prefix_cache_hits_total");

    JsonNode first = SimHttp.json(http.post("/v1/chat/completions", chat("What is a block?", false))).get("usage");
    assertTrue(first.get("prompt_tokens_details").isNull(), "nothing cached yet: null, as vLLM: " + first);

    JsonNode second = SimHttp.json(http.post("/v1/chat/completions", chat("And an LRU?", false))).get("usage");
    int prompt = second.get("prompt_tokens").asInt();
    int cached = second.get("prompt_tokens_details").get("cached_tokens").asInt();
    assertEquals(0, cached % PrefixCache.BLOCK_TOKENS, "whole blocks: " + second);
    assertTrue(cached >= SYSTEM.length() / 4 - 2 * PrefixCache.BLOCK_TOKENS && cached < prompt,
        "about the system prompt's " + SYSTEM.length() / 4 + " tokens of " + prompt + ": " + cached);

    assertEquals(first.get("prompt_tokens").asInt() + prompt, metric("vllm:prefix_cache_queries_total") - queries0);
    assertEquals(cached, metric("vllm:prefix_cache_hits_total") - hits0);
  }

  @Test
  void theStreamsUsageChunkCarriesTheCachedTokens() {
    http.post("/reset_prefix_cache", "");
    List<String> cold = SimHttp.sseData(http.post("/v1/chat/completions", chat("Why?", true)).body());
    JsonNode coldUsage = SimHttp.parse(cold.get(cold.size() - 2)).get("usage");
    assertTrue(!coldUsage.has("prompt_tokens_details"), "omitted when nothing was cached: " + coldUsage);
    List<String> warm = SimHttp.sseData(http.post("/v1/chat/completions", chat("Why?", true)).body());
    JsonNode usage = SimHttp.parse(warm.get(warm.size() - 2)).get("usage");
    int cached = usage.get("prompt_tokens_details").get("cached_tokens").asInt();
    int prompt = usage.get("prompt_tokens").asInt();
    assertTrue(cached > 0 && cached < prompt && prompt - cached <= 2 * PrefixCache.BLOCK_TOKENS,
        "the same prompt again: all but its last block or two: " + usage);
  }

  @Test
  void resetPrefixCacheForgetsWhatWasCached() {
    http.post("/v1/chat/completions", chat("Once", false));
    assertEquals(200, http.post("/reset_prefix_cache", "").statusCode());
    JsonNode usage = SimHttp.json(http.post("/v1/chat/completions", chat("Once", false))).get("usage");
    assertTrue(usage.get("prompt_tokens_details").isNull(), usage.toString());
    assertEquals(405, http.get("/reset_prefix_cache").statusCode());
  }
}
