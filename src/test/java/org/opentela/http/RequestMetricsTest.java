package org.opentela.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.ServiceRecord;
import org.opentela.telemetry.TrafficSample;
import org.opentela.testing.MetricsText;
import org.opentela.testing.Records;

class RequestMetricsTest {

  @Test
  void countsRequestsByServiceAndStatusWithCumulativeLatencyBuckets() {
    RequestMetrics m = new RequestMetrics();
    m.record("llm", 200, 2_000_000); // 2 ms
    m.record("llm", 200, 300_000_000); // 300 ms
    m.record("llm", 503, 500_000); // 0.5 ms
    m.streamStarted();
    MetricsText t = MetricsText.parse(m.render(null));
    assertEquals(2, t.value("otela_requests_total", "service", "llm", "code", "200"));
    assertEquals(1, t.value("otela_requests_total", "service", "llm", "code", "503"));
    assertEquals(1, t.value("otela_request_duration_seconds_bucket", "service", "llm", "le", "0.001"));
    assertEquals(2, t.value("otela_request_duration_seconds_bucket", "service", "llm", "le", "0.0025"));
    assertEquals(2, t.value("otela_request_duration_seconds_bucket", "service", "llm", "le", "0.25"));
    assertEquals(3, t.value("otela_request_duration_seconds_bucket", "service", "llm", "le", "0.5"));
    assertEquals(3, t.value("otela_request_duration_seconds_bucket", "service", "llm", "le", "+Inf"));
    assertEquals(3, t.value("otela_request_duration_seconds_count", "service", "llm"));
    assertEquals(1, t.value("otela_streams_active"));
    assertEquals("counter", t.types().get("otela_requests_total"));
    assertEquals("histogram", t.types().get("otela_request_duration_seconds"));
  }

  @Test
  void reportsConnectedNodesAndProvidersPerModel() {
    ServiceRecord llm = Records.llm("model=Qwen/Qwen3-8B", "all").build();
    NodeRecord a = Records.worker("a").service(llm).build();
    NodeRecord b = Records.worker("b").service(llm).build();
    NodeRecord c = Records.worker("c").status("draining").service(llm).build();
    RequestMetrics m = new RequestMetrics();
    MetricsText t = MetricsText.parse(m.render(new NodeTable(1, "a", Map.of("a", a, "b", b, "c", c), Set.of("a", "c"))));
    assertEquals(2, t.value("otela_nodes", "connected", "true"));
    assertEquals(1, t.value("otela_nodes", "connected", "false"));
    assertEquals(1, t.value("otela_model_providers", "service", "llm", "model", "Qwen/Qwen3-8B"));
  }

  @Test
  void serviceLabelsBeyondTheCapAreCountedAsOther() {
    RequestMetrics m = new RequestMetrics();
    for (int i = 0; i < RequestMetrics.MAX_SERVICES + 10; i++) {
      m.record("svc" + i, 404, 1000);
    }
    m.record("svc0", 200, 1000);
    MetricsText t = MetricsText.parse(m.render(null));
    assertEquals(10, t.value("otela_requests_total", "service", "other", "code", "404"));
    assertEquals(1, t.value("otela_requests_total", "service", "svc0", "code", "200"));
    assertFalse(t.anyLabel("service", "svc" + (RequestMetrics.MAX_SERVICES + 1)));
  }

  @Test
  void labelValuesAreEscaped() {
    RequestMetrics m = new RequestMetrics();
    m.servedModels(Set.of("a\"b\\c\nd"));
    m.recordModel("llm", "a\"b\\c\nd", 200);
    String text = m.render(null);
    assertTrue(text.contains("model=\"a\\\"b\\\\c\\nd\""), text);
    assertEquals(1, MetricsText.parse(text).value("otela_model_requests_total", "service", "llm",
        "model", "a\"b\\c\nd", "code", "200"));
  }

  @Test
  void aModelTheTableDoesNotServeIsCountedAsOther() {
    RequestMetrics m = new RequestMetrics();
    m.servedModels(Set.of("Qwen/Qwen3-8B"));
    m.recordModel("llm", "Qwen/Qwen3-8B", 200);
    m.recordModel("llm", "made-up-by-a-client", 404);
    m.recordModel("llm", null, 400);
    MetricsText t = MetricsText.parse(m.render(null));
    assertEquals(1, t.value("otela_model_requests_total", "service", "llm", "model", "Qwen/Qwen3-8B", "code", "200"));
    assertEquals(1, t.value("otela_model_requests_total", "service", "llm", "model", RequestMetrics.OTHER_MODEL,
        "code", "404"));
    assertEquals(1, t.value("otela_model_requests_total", "service", "llm", "model", RequestMetrics.NO_MODEL,
        "code", "400"));
    assertFalse(t.anyLabel("model", "made-up-by-a-client"));
  }

  @Test
  void exemplarsCarryTheTraceIdInOpenMetrics() throws Exception {
    RequestMetrics m = new RequestMetrics();
    m.record("llm", 200, 2_000_000, "0af7651916cd43dd8448eb211c80319c");
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    var writer = RequestMetrics.writerFor("application/openmetrics-text; version=1.0.0; charset=utf-8");
    assertTrue(writer.getContentType().startsWith("application/openmetrics-text"), writer.getContentType());
    m.write(out, writer, null);
    MetricsText t = MetricsText.parse(out.toString(java.nio.charset.StandardCharsets.UTF_8));
    assertTrue(t.eof(), "OpenMetrics ends with # EOF");
    MetricsText.Sample bucket = t.find("otela_request_duration_seconds_bucket", "service", "llm", "le", "0.0025")
        .orElseThrow();
    assertEquals(Map.of("trace_id", "0af7651916cd43dd8448eb211c80319c"), bucket.exemplar());
    assertEquals(0.002, bucket.exemplarValue(), 1e-9);
  }

  @Test
  void theTrafficSampleCountsRequestsErrorsAndFirstBytesPerModel() {
    RequestMetrics m = new RequestMetrics();
    m.servedModels(Set.of("m"));
    m.recordModel("llm", "m", 200);
    m.recordModel("llm", "m", 200);
    m.recordModel("llm", "m", 503);
    m.recordModel("llm", "m", 404);
    m.firstByte("llm", "m", 3_000_000, null); // 3 ms: the 0.005 bucket
    m.streamStarted();
    TrafficSample s = m.sample();
    TrafficSample.ModelCounts c = s.models().get("m");
    assertEquals(4, c.requests());
    assertEquals(1, c.errors(), "only 5xx count as errors");
    int bucket = java.util.Arrays.binarySearch(s.ttfbBounds(), 0.005);
    assertEquals(1, c.ttfbBuckets()[bucket]);
    assertEquals(1, java.util.Arrays.stream(c.ttfbBuckets()).sum(), "buckets are per bucket, not cumulative");
    assertEquals(1, s.openStreams());
  }
}
