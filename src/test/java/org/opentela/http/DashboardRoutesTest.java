package org.opentela.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.ApiErrorAssert.assertApiError;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentela.ApiError;
import org.opentela.Json;
import org.opentela.routing.RoutingMetrics;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.TableKeeper;
import org.opentela.telemetry.PoolHistory;
import org.opentela.testing.Records;

/** The dashboard's routes over HTTP, as a browser and as an attacker use them. */
class DashboardRoutesTest {
  /** A model name a hostile worker could publish: the page must show it as text, never run it. */
  static final String HOSTILE = "<img src=x onerror=alert(1)>";
  static final ActorTestKit testKit = ActorTestKit.create();
  static ServerBinding binding;
  static String base;

  @BeforeAll
  static void start() throws Exception {
    NodeRecord w = Records.worker("w1").version("0.1.0").service(Records.llm("model=" + HOSTILE).build()).build();
    NodeTable table = new NodeTable(1, "w1", Map.of("w1", w), Set.of("w1"));
    ActorRef<TableKeeper.Command> keeper = testKit.spawn(Behaviors.receiveMessage(m -> {
      if (m instanceof TableKeeper.GetTable g) {
        g.replyTo().tell(table);
      } else if (m instanceof TableKeeper.Subscribe s) {
        s.subscriber().tell(table);
      }
      return Behaviors.same();
    }));
    RequestMetrics metrics = new RequestMetrics();
    ActorRef<PoolHistory.Command> history = testKit.spawn(PoolHistory.create(keeper, metrics::sample,
        metrics::servedModels, PoolHistory.Settings.DEFAULT));
    binding = Http.get(testKit.system()).newServerAt("127.0.0.1", 0).bind(HttpApi.route(List.of(
        new DashboardRoutes(testKit.system(), keeper, history, RoutingMetrics.unregistered()).route())))
        .toCompletableFuture().get();
    base = "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  @AfterAll
  static void stop() {
    binding.unbind();
    testKit.shutdownTestKit();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return org.opentela.testing.Http.client().send(HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void thePageAndItsAssetsComeFromTheJarAndMayLoadNothingElse() throws Exception {
    HttpResponse<String> page = get("/ui");
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
    String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
    assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self'")
        && csp.contains("connect-src 'self'") && csp.contains("frame-ancestors 'none'"), csp);
    assertEquals("DENY", page.headers().firstValue("X-Frame-Options").orElse(""));
    assertFalse(page.body().contains("http://") || page.body().contains("https://"), "no external asset in the page");
    for (String asset : List.of("/ui/app.js", "/ui/app.css", "/ui/uplot.min.js", "/ui/uplot.min.css", "/ui/favicon.svg")) {
      HttpResponse<String> r = get(asset);
      assertEquals(200, r.statusCode(), asset);
      assertTrue(r.body().length() > 100, asset);
    }
    assertTrue(get("/ui/uplot.min.js").body().contains("uPlot"));
  }

  @Test
  void pathsOutsideTheListedAssetsAreNotFound() throws Exception {
    for (String path : List.of("/ui/../reference.conf", "/ui/%2e%2e/reference.conf", "/ui/otela/version.properties",
        "/ui/index.html/../../application.conf", "/ui/uplot.min.js/..%2f..%2fMETA-INF/MANIFEST.MF")) {
      HttpResponse<String> r = get(path);
      assertFalse(r.statusCode() == 200 && (r.body().contains("otela {") || r.body().contains("Manifest")),
          path + " answered " + r.statusCode() + ": " + r.body());
    }
    assertEquals(404, get("/ui/secret.txt").statusCode());
  }

  @Test
  void thePageWritesTheTablesValuesAsTextNeverAsMarkup() throws Exception {
    String js;
    try (InputStream in = DashboardRoutes.class.getResourceAsStream("/otela/ui/app.js")) {
      js = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    for (String sink : List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
        "new Function")) {
      assertFalse(js.contains(sink), "app.js uses " + sink);
    }
    JsonNode pool = Json.MAPPER.readTree(get("/v1/dnt/pool").body());
    assertEquals(HOSTILE, pool.get("models").get(0).get("model").asText(), "the JSON carries the name as it is");
  }

  @Test
  void thePoolListsNodesAndModels() throws Exception {
    HttpResponse<String> r = get("/v1/dnt/pool");
    assertEquals(200, r.statusCode());
    JsonNode pool = Json.MAPPER.readTree(r.body());
    assertEquals("w1", pool.get("self").asText());
    assertEquals("up", pool.get("nodes").get(0).get("status").asText());
    assertEquals("w1", pool.get("models").get(0).get("providers").get(0).get("id").asText());
  }

  @Test
  void trafficTakesTheLastPointSeenAndABadOneIsA400() throws Exception {
    HttpResponse<String> r = get("/v1/dnt/traffic?since=0");
    assertEquals(200, r.statusCode());
    JsonNode t = Json.MAPPER.readTree(r.body());
    assertTrue(t.has("seq") && t.has("from_seq") && t.has("time") && t.has("ttfb_p50") && t.has("streams"), r.body());
    assertEquals(0, Json.MAPPER.readTree(get("/v1/dnt/traffic?since=" + Long.MAX_VALUE).body()).get("time").size());
    assertEquals(200, get("/v1/dnt/traffic?since=-5").statusCode());
    assertApiError(ApiError.INVALID_REQUEST, get("/v1/dnt/traffic?since=abc"));
    assertApiError(ApiError.INVALID_REQUEST, get("/v1/dnt/traffic?since=99999999999999999999999"));
  }
}
