package org.opentela.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentela.testing.FakeOpenAi;
import org.opentela.testing.Http;
import org.opentela.testing.InJvmNode;

/**
 * A head and a worker in one JVM, both exporting spans by OTLP/HTTP to a collector in the test (as they would
 * to a real one, with {@code --otel.endpoint}); the worker's backend records the headers it got. One routed
 * request gives one trace: the client's, continued; head spans (request, match, select, try) and worker spans
 * (backend, first byte) in parent/child order; the backend saw the worker's span in its {@code traceparent}.
 */
class TracingClusterTest {
  static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String CLIENT_SPAN = "00f067aa0ba902b7";

  /** A span as exported: ids in hex, the node that made it (its service.instance.id). */
  record Exported(String traceId, String spanId, String parentId, String name, String node, Map<String, String> attrs) {}

  static final List<Exported> spans = new CopyOnWriteArrayList<>();
  static HttpServer collector;
  static Path dir;
  static InJvmNode head;
  static InJvmNode worker;
  static FakeOpenAi backend;

  @BeforeAll
  static void start() throws Exception {
    collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    collector.createContext("/v1/traces", ex -> {
      try (InputStream raw = ex.getRequestBody()) {
        InputStream in = "gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))
            ? new GZIPInputStream(raw) : raw;
        collect(ExportTraceServiceRequest.parseFrom(in.readAllBytes()));
        ex.getResponseHeaders().add("Content-Type", "application/x-protobuf");
        ex.sendResponseHeaders(200, -1);
      } finally {
        ex.close();
      }
    });
    collector.start();
    // Export at once instead of every 5 s: the standard OTEL_BSP_SCHEDULE_DELAY, as a system property.
    System.setProperty("otel.bsp.schedule.delay", "100");
    String endpoint = "http://127.0.0.1:" + collector.getAddress().getPort();
    dir = Files.createTempDirectory("tracing-test");
    backend = FakeOpenAi.start("b", "traced-model").streaming(3, 20);
    head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0", "--otel.endpoint", endpoint);
    worker = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "1", "--otel.endpoint", endpoint);
    worker.publish("llm", backend.port, "model=traced-model");
    eventually("the head to see the worker's service", Duration.ofSeconds(30), () -> {
      head.assertSeesConnected(head.peerId(), worker.peerId());
      assertEquals(1, head.table().get("/" + worker.peerId()).get("service").size());
    });
  }

  @AfterAll
  static void stop() {
    System.clearProperty("otel.bsp.schedule.delay");
    for (AutoCloseable c : new AutoCloseable[] {worker, head, backend}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
    if (collector != null) {
      collector.stop(0);
    }
  }

  private static void collect(ExportTraceServiceRequest req) {
    HexFormat hex = HexFormat.of();
    for (ResourceSpans rs : req.getResourceSpansList()) {
      String node = attrs(rs.getResource().getAttributesList()).get("service.instance.id");
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        ss.getSpansList().forEach(s -> spans.add(new Exported(hex.formatHex(s.getTraceId().toByteArray()),
            hex.formatHex(s.getSpanId().toByteArray()), hex.formatHex(s.getParentSpanId().toByteArray()), s.getName(),
            node, attrs(s.getAttributesList()))));
      }
    }
  }

  private static Map<String, String> attrs(List<KeyValue> kvs) {
    return kvs.stream().collect(Collectors.toMap(KeyValue::getKey, kv -> kv.getValue().hasStringValue()
        ? kv.getValue().getStringValue() : kv.getValue().toString().trim(), (a, b) -> b));
  }

  @Test
  void aRoutedStreamIsOneTraceFromTheClientsContextThroughHeadAndWorkerToTheBackend() throws Exception {
    HttpResponse<String> r = Http.client().send(HttpRequest.newBuilder(
            URI.create(head.url("/v1/service/llm/v1/chat/completions"))).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .header("traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"traced-model\",\"stream\":true}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());

    eventually("the head's and the worker's spans of the trace", Duration.ofSeconds(20), () -> {
      List<String> names = trace().stream().map(Exported::name).sorted().toList();
      assertEquals(List.of("POST /v1/service/{service}", "backend", "first byte", "match", "select", "try"), names,
          () -> "spans: " + spans);
    });
    Map<String, Exported> byName = trace().stream().collect(Collectors.toMap(Exported::name, s -> s));
    Exported request = byName.get("POST /v1/service/{service}");
    assertEquals(CLIENT_SPAN, request.parentId(), "the client's traceparent is continued");
    assertEquals(request.spanId(), byName.get("match").parentId());
    assertEquals(request.spanId(), byName.get("select").parentId());
    assertEquals(request.spanId(), byName.get("try").parentId());
    assertEquals(byName.get("try").spanId(), byName.get("backend").parentId(), "the worker's span is the try's child");
    assertEquals(byName.get("backend").spanId(), byName.get("first byte").parentId());
    for (String s : List.of("POST /v1/service/{service}", "match", "select", "try")) {
      assertEquals(head.peerId(), byName.get(s).node(), s + " is the head's");
    }
    for (String s : List.of("backend", "first byte")) {
      assertEquals(worker.peerId(), byName.get(s).node(), s + " is the worker's");
    }
    assertEquals(worker.peerId(), byName.get("try").attrs().get("otela.peer_id"));
    assertEquals("traced-model", request.attrs().get("gen_ai.request.model"));

    FakeOpenAi.Seen seen = backend.requests.stream().filter(s -> s.path().endsWith("/chat/completions"))
        .reduce((a, b) -> b).orElseThrow();
    String traceparent = seen.headers().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase("traceparent"))
        .map(e -> e.getValue().get(0)).findFirst().orElse(null);
    assertNotNull(traceparent, "the backend got a traceparent: " + seen.headers());
    assertEquals("00-" + CLIENT_TRACE + "-" + byName.get("backend").spanId() + "-01", traceparent,
        "the backend's traceparent names the worker's backend span");
  }

  @Test
  void aRequestWithoutTraceparentStartsItsOwnTrace() throws Exception {
    HttpResponse<String> r = Http.post(head.url("/v1/service/llm/v1/chat/completions"),
        "{\"model\":\"traced-model\"}");
    assertEquals(200, r.statusCode(), r.body());
    String requestId = r.headers().firstValue("X-Request-Id").orElseThrow();
    eventually("a new trace with the request's spans", Duration.ofSeconds(20), () -> {
      Exported root = spans.stream().filter(s -> requestId.equals(s.attrs().get("otela.request_id"))).findFirst()
          .orElseThrow(() -> new AssertionError("no span for request " + requestId + " in " + spans));
      assertTrue(root.parentId().isEmpty() || root.parentId().equals("0000000000000000"), root::toString);
      assertTrue(spans.stream().anyMatch(s -> s.traceId().equals(root.traceId()) && s.name().equals("backend")));
    });
  }

  private static List<Exported> trace() {
    return spans.stream().filter(s -> s.traceId().equals(CLIENT_TRACE)).toList();
  }
}
