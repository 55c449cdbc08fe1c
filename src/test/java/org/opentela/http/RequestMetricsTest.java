package org.opentela.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.ServiceRecord;
import org.opentela.testing.Records;

class RequestMetricsTest {

  @Test
  void countsRequestsByServiceAndStatusWithCumulativeLatencyBuckets() {
    RequestMetrics m = new RequestMetrics();
    m.record("llm", 200, 2_000_000); // 2 ms
    m.record("llm", 200, 300_000_000); // 300 ms
    m.record("llm", 503, 500_000); // 0.5 ms
    m.streamStarted();
    String text = m.render(null);
    assertTrue(text.contains("otela_requests_total{service=\"llm\",code=\"200\"} 2\n"), text);
    assertTrue(text.contains("otela_requests_total{service=\"llm\",code=\"503\"} 1\n"), text);
    assertTrue(text.contains("otela_request_duration_seconds_bucket{service=\"llm\",le=\"0.001\"} 1\n"), text);
    assertTrue(text.contains("otela_request_duration_seconds_bucket{service=\"llm\",le=\"0.0025\"} 2\n"), text);
    assertTrue(text.contains("otela_request_duration_seconds_bucket{service=\"llm\",le=\"0.25\"} 2\n"), text);
    assertTrue(text.contains("otela_request_duration_seconds_bucket{service=\"llm\",le=\"0.5\"} 3\n"), text);
    assertTrue(text.contains("otela_request_duration_seconds_bucket{service=\"llm\",le=\"+Inf\"} 3\n"), text);
    assertTrue(text.contains("otela_request_duration_seconds_count{service=\"llm\"} 3\n"), text);
    assertTrue(text.contains("otela_streams_active 1\n"), text);
  }

  @Test
  void reportsConnectedNodesAndProvidersPerModel() {
    ServiceRecord llm = Records.llm("model=Qwen/Qwen3-8B", "all").build();
    NodeRecord a = Records.worker("a").service(llm).build();
    NodeRecord b = Records.worker("b").service(llm).build();
    NodeRecord c = Records.worker("c").status("draining").service(llm).build();
    RequestMetrics m = new RequestMetrics();
    String text = m.render(new NodeTable(1, "a", Map.of("a", a, "b", b, "c", c), Set.of("a", "c")));
    assertTrue(text.contains("otela_nodes{connected=\"true\"} 2\n"), text);
    assertTrue(text.contains("otela_nodes{connected=\"false\"} 1\n"), text);
    assertTrue(text.contains("otela_model_providers{service=\"llm\",model=\"Qwen/Qwen3-8B\"} 1\n"), text);
  }

  @Test
  void serviceLabelsBeyondTheCapAreCountedAsOther() {
    RequestMetrics m = new RequestMetrics();
    for (int i = 0; i < RequestMetrics.MAX_SERVICES + 10; i++) {
      m.record("svc" + i, 404, 1000);
    }
    m.record("svc0", 200, 1000);
    String text = m.render(null);
    assertTrue(text.contains("otela_requests_total{service=\"other\",code=\"404\"} 10\n"), text);
    assertTrue(text.contains("otela_requests_total{service=\"svc0\",code=\"200\"} 1\n"), text);
    assertTrue(!text.contains("service=\"svc" + (RequestMetrics.MAX_SERVICES + 1) + "\""), text);
  }

  @Test
  void escapesLabelValues() {
    assertTrue(RequestMetrics.escape("a\"b\\c").equals("a\\\"b\\\\c"));
  }
}
