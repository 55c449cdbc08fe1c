package org.opentela.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.ApiErrorAssert.assertApiError;
import static org.opentela.testing.ApiErrorAssert.assertErrorBody;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opentela.ApiError;
import org.opentela.Json;
import org.opentela.proxy.Outcome;
import org.opentela.proxy.ProxyReply;
import org.opentela.proxy.ServiceProxy;
import org.opentela.proxy.StreamBody;
import org.opentela.routing.Router;
import org.opentela.routing.RoutingSettings;
import org.opentela.routing.Selection;

/**
 * The OpenAI-facing routes against a stub router: what reaches the router, and how each answer is
 * rendered. Real HTTP on a free port, no cluster.
 */
class OpenAiRoutesTest {
  static final ActorTestKit testKit = ActorTestKit.create(com.typesafe.config.ConfigFactory.parseString(
      "pekko.actor.provider = local\npekko.http.server.stream-cancellation-delay = 0 ms"));
  static final BlockingQueue<Router.RouteRequest> routed = new LinkedBlockingQueue<>();
  static final RequestMetrics metrics = new RequestMetrics();
  static ServerBinding binding;

  @BeforeAll
  static void bind() throws Exception {
    ActorRef<Router.Command> router = testKit.spawn(Behaviors.receive(Router.Command.class)
        .onMessage(Router.RouteRequest.class, r -> {
          routed.add(r);
          r.replyTo().tell(answer(r));
          return Behaviors.same();
        })
        .onMessage(Router.ListModels.class, m -> {
          m.replyTo().tell(m.service().equals("llm") ? new Router.Models(new TreeSet<>(List.of("a/b", "c")))
              : new Router.Rejected(ApiError.SERVICE_NOT_FOUND.with(m.service(), "[llm]")));
          return Behaviors.same();
        })
        .onMessage(Router.StreamFinished.class, m -> Behaviors.same())
        .build());
    ActorRef<ServiceProxy.Command> proxy = testKit.spawn(Behaviors.receive(ServiceProxy.Command.class)
        .onMessage(ServiceProxy.Forward.class, f -> {
          f.replyTo().tell(f.request().service().equals("missing")
              ? Outcome.NO_LOCAL_SERVICE.failed(f.attemptId(), "QmSelf", "missing", "[llm]")
              : new ProxyReply.Complete(f.attemptId(), 200, List.of(), "text/plain",
                  ("local " + f.request().service() + f.request().path()).getBytes()));
          return Behaviors.same();
        }).build());
    RoutingSettings settings = new RoutingSettings(Selection.Policy.LEAST_LOADED, 2, Duration.ofSeconds(10),
        Duration.ofMinutes(1), Duration.ofSeconds(10), 4096);
    binding = Http.get(testKit.system()).newServerAt("127.0.0.1", 0)
        .bind(HttpApi.route(List.of(new OpenAiRoutes(testKit.system(), router, proxy, settings, "QmSelf", metrics).route())))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Router.RouteReply answer(Router.RouteRequest r) {
    String model = r.fields().strings().getOrDefault("model", "");
    switch (model) {
      case "rejected":
        return new Router.Rejected(ApiError.MODEL_NOT_AVAILABLE.with("rejected", r.service(), "[ok]"));
      case "breaks":
        Source<ByteString, org.apache.pekko.NotUsed> events = Source.from(List.of(
                ByteString.fromString("data: {\"n\":1}\n\n"), ByteString.fromString("data: {\"n\":2}\n\n")))
            // The failure comes a little later, as a worker's would: a failure may overtake elements in flight.
            .concat(Source.single(ByteString.emptyByteString()).initialDelay(Duration.ofMillis(200))
                .map(x -> {
                  throw new IllegalStateException("worker lost");
                }));
        return new Router.Routed("QmWorker", new ProxyReply.Streamed(1, 200, List.of(), "text/event-stream", -1,
            StreamBody.of(events, true, Materializer.matFromSystem(testKit.system()))));
      default:
        return new Router.Routed("QmWorker", new ProxyReply.Complete(1, 201, List.of("X-Up", "yes"),
            "application/json", "{\"ok\":true}".getBytes()));
    }
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void clear() {
    routed.clear();
  }

  private static String url(String path) {
    return "http://127.0.0.1:" + binding.localAddress().getPort() + path;
  }

  private static HttpResponse<String> post(String path, String contentType, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return org.opentela.testing.Http.client().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void passesTheModelFallbackAndRequestToTheRouterAndRendersItsAnswer() throws Exception {
    HttpResponse<String> r = post("/v1/service/llm/v1/chat/completions?x=1", "application/json",
        "{\"model\":\"ok\",\"messages\":[{\"model\":\"nested\"}]}", "X-Otela-Fallback", "1", "X-Request-Id", "abc",
        "Authorization", "Bearer t");
    assertEquals(201, r.statusCode());
    assertEquals("{\"ok\":true}", r.body());
    assertEquals("yes", r.headers().firstValue("X-Up").orElseThrow());
    assertEquals("QmWorker", r.headers().firstValue("X-Computing-Node").orElseThrow());
    assertEquals("abc", r.headers().firstValue("X-Request-Id").orElseThrow());
    Router.RouteRequest req = routed.poll(5, TimeUnit.SECONDS);
    assertEquals("llm", req.service());
    assertEquals(Map.of("model", "ok"), req.fields().strings());
    assertEquals(1, req.fallback());
    assertNull(req.pinnedPeer());
    assertEquals("/v1/chat/completions", req.request().path());
    assertEquals("x=1", req.request().query());
    assertEquals("POST", req.request().method());
    assertTrue(req.request().headers().contains("Bearer t"));
    assertTrue(req.request().headers().contains("abc"));
  }

  @Test
  void invalidFallbackValuesMeanNoFallbackAndTheHeaderGroupReplacesTheBody() throws Exception {
    post("/v1/service/llm/v1/chat/completions", "application/json", "{\"model\":\"ok\"}", "X-Otela-Fallback", "7",
        "X-Otela-Identity-Group", "model=from-header");
    Router.RouteRequest req = routed.poll(5, TimeUnit.SECONDS);
    assertEquals(0, req.fallback());
    assertEquals(Map.of("model", "from-header"), req.fields().strings());
  }

  @Test
  void nonJsonBodiesAreNotParsed() throws Exception {
    HttpResponse<String> r = post("/v1/service/audio/v1/transcriptions", "application/octet-stream", "{{{ not json");
    assertEquals(201, r.statusCode());
    assertTrue(routed.poll(5, TimeUnit.SECONDS).fields().strings().isEmpty());
  }

  @Test
  void aJsonObjectBodyIsMatchedWhateverItsDeclaredType() throws Exception {
    // curl -d '{...}' without -H Content-Type sends application/x-www-form-urlencoded.
    post("/v1/service/llm/v1/chat/completions", "application/x-www-form-urlencoded", "  {\"model\":\"ok\"}");
    assertEquals("ok", routed.poll(5, TimeUnit.SECONDS).fields().strings().get("model"));
    post("/v1/service/llm/v1/chat/completions", "text/plain", "{\"model\":\"plain\"}");
    assertEquals("plain", routed.poll(5, TimeUnit.SECONDS).fields().strings().get("model"));
    post("/v1/service/llm/v1/files", "multipart/form-data; boundary=x", "{\"model\":\"no\"}");
    assertTrue(routed.poll(5, TimeUnit.SECONDS).fields().strings().isEmpty(), "multipart bodies are not sniffed");
  }

  @Test
  void malformedJsonAndBadServiceNamesAre400AndNeverReachTheRouter() throws Exception {
    HttpResponse<String> bad = post("/v1/service/llm/v1/chat/completions", "application/json", "{\"model\":");
    assertApiError(ApiError.INVALID_JSON, bad);
    HttpResponse<String> name = post("/v1/service/-llm/v1/chat/completions", "application/json", "{}");
    assertApiError(ApiError.INVALID_SERVICE_NAME, name);
    assertNull(routed.poll(200, TimeUnit.MILLISECONDS));
  }

  @Test
  void bodiesOverTheLimitAre413WhetherTheirLengthIsDeclaredOrNot() throws Exception {
    String big = "{\"model\":\"ok\",\"pad\":\"" + "x".repeat(5000) + "\"}";
    HttpResponse<String> declared = post("/v1/service/llm/v1/chat/completions", "application/json", big);
    assertTrue(assertApiError(ApiError.REQUEST_TOO_LARGE, declared).get("message").asText().contains(big.length()
        + " bytes"), declared.body());
    HttpResponse<String> chunked = org.opentela.testing.Http.client().send(HttpRequest.newBuilder(
            URI.create(url("/v1/service/llm/v1/chat/completions"))).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big.getBytes()))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertApiError(ApiError.REQUEST_TOO_LARGE, chunked);
    assertNull(routed.poll(200, TimeUnit.MILLISECONDS));
  }

  @Test
  void aRejectionIsAnOpenAiErrorWithItsStatus() throws Exception {
    HttpResponse<String> r = post("/v1/service/llm/v1/chat/completions", "application/json", "{\"model\":\"rejected\"}");
    assertApiError(ApiError.MODEL_NOT_AVAILABLE, r);
    assertTrue(r.headers().firstValue("X-Request-Id").isPresent());
  }

  @Test
  void aStreamThatBreaksEndsWithAnSseErrorEvent() throws Exception {
    HttpResponse<String> r = post("/v1/service/llm/v1/chat/completions", "application/json",
        "{\"model\":\"breaks\",\"stream\":true}");
    assertEquals(200, r.statusCode());
    List<String> events = r.body().lines().filter(l -> l.startsWith("data: ")).toList();
    assertEquals(3, events.size(), r.body());
    assertEquals("data: {\"n\":1}", events.get(0));
    JsonNode err = assertErrorBody(ApiError.STREAM_INTERRUPTED, events.get(2).substring(6));
    assertTrue(err.get("message").asText().contains("the worker stopped sending before the response was complete"),
        err::toString);
    // What broke the stream is an internal (here an exception's message): the node's log has it, under the id.
    assertFalse(err.get("message").asText().contains("worker lost"), err::toString);
    assertEquals(r.headers().firstValue("X-Request-Id").orElseThrow(), err.get("request_id").asText());
  }

  @Test
  void everyAnswerIsCountedByServiceAndStatusAndStreamsAreTrackedUntilTheyEnd() throws Exception {
    post("/v1/service/metered/v1/chat/completions", "application/json", "{\"model\":\"ok\"}");
    post("/v1/service/metered/v1/chat/completions", "application/json", "{\"model\":\"ok\"}");
    post("/v1/service/metered/v1/chat/completions", "application/json", "{\"model\":\"rejected\"}");
    post("/v1/service/metered/v1/chat/completions", "application/json", "{\"model\":");
    post("/v1/service/bad!name/v1/chat/completions", "application/json", "{}");
    post("/v1/service/metered/v1/chat/completions", "application/json", "{\"model\":\"breaks\",\"stream\":true}");
    org.opentela.testing.Eventually.eventually("the counts and an ended stream", Duration.ofSeconds(5), () -> {
      org.opentela.testing.MetricsText t = org.opentela.testing.MetricsText.parse(metrics.render(null));
      assertEquals(2, t.value("otela_requests_total", "service", "metered", "code", "201"));
      assertEquals(1, t.value("otela_requests_total", "service", "metered", "code", "503"));
      assertEquals(1, t.value("otela_requests_total", "service", "metered", "code", "400"));
      assertEquals(1, t.value("otela_requests_total", "service", "metered", "code", "200"));
      assertTrue(t.value("otela_requests_total", "service", "invalid", "code", "400") >= 1);
      assertEquals(5, t.value("otela_request_duration_seconds_count", "service", "metered"));
      assertEquals(0, t.value("otela_streams_active"));
    });
  }

  @Test
  void pinnedPathsNameTheNodeAndEitherItsServiceOrItsApi() throws Exception {
    post("/v1/p2p/QmPeer/v1/_service/llm/v1/chat/completions", "application/json", "{}");
    Router.RouteRequest svc = routed.poll(5, TimeUnit.SECONDS);
    assertEquals("QmPeer", svc.pinnedPeer());
    assertEquals("llm", svc.request().service());
    assertEquals("/v1/chat/completions", svc.request().path());

    post("/v1/p2p/QmPeer/v1/dnt/table", "application/json", "{}");
    Router.RouteRequest api = routed.poll(5, TimeUnit.SECONDS);
    assertNull(api.request().service());
    assertEquals("/v1/dnt/table", api.request().path());
    assertEquals(1, api.request().hops(), "the hop count travels in the cluster message");
    assertNull(org.opentela.proxy.Headers.find(api.request().headers(), "X-Otela-Hops"));
  }

  @Test
  void aRequestWithoutAUsableIdGetsOneThatTheBackendReceivesToo() throws Exception {
    for (String sent : List.of("", "a b", "x".repeat(300))) {
      HttpResponse<String> r = post("/v1/service/llm/v1/chat/completions", "application/json", "{\"model\":\"ok\"}",
          "X-Request-Id", sent);
      String id = r.headers().firstValue("X-Request-Id").orElseThrow();
      assertTrue(id.matches("[0-9a-f]{16}"), "generated for '" + sent + "': " + id);
      Router.RouteRequest routed = OpenAiRoutesTest.routed.poll(5, TimeUnit.SECONDS);
      assertEquals(id, routed.request().requestId());
      assertEquals(id, org.opentela.proxy.Headers.find(routed.request().headers(), "X-Request-Id"),
          "the backend gets the id the client got");
    }
  }

  @Test
  void aClientsHopCountCountsForNothing() throws Exception {
    for (String sent : List.of("2", "-100", "-2147483648", "x", "99999999999")) {
      post("/v1/p2p/QmPeer/v1/dnt/table", "application/json", "{}", "X-Otela-Hops", sent);
      Router.RouteRequest r = routed.poll(5, TimeUnit.SECONDS);
      assertEquals(1, r.request().hops(), "X-Otela-Hops: " + sent + " from a client is its first hop");
      assertNull(org.opentela.proxy.Headers.find(r.request().headers(), "X-Otela-Hops"), "not passed on");
    }
    // A forged token does not make a count believed: the client's 3 is not a loop.
    post("/v1/p2p/QmPeer/v1/dnt/table", "application/json", "{}", "X-Otela-Hops", "3", "X-Otela-Hop-Token", "guess");
    assertEquals(1, routed.poll(5, TimeUnit.SECONDS).request().hops());

    // This node's own proxy vouches for the count with the JVM's token: the third hop is a loop.
    List<String> fromProxy = new java.util.ArrayList<>();
    org.opentela.proxy.LocalHops.addTo(fromProxy, 2);
    post("/v1/p2p/QmPeer/v1/dnt/table", "application/json", "{}", fromProxy.toArray(String[]::new));
    Router.RouteRequest next = routed.poll(5, TimeUnit.SECONDS);
    assertEquals(3, next.request().hops(), "the count the proxy vouched for, plus this hop");
    assertNull(org.opentela.proxy.Headers.find(next.request().headers(), "X-Otela-Hop-Token"), "the token stays here");
    fromProxy.clear();
    org.opentela.proxy.LocalHops.addTo(fromProxy, 3);
    assertApiError(ApiError.LOOP_DETECTED, post("/v1/p2p/QmPeer/v1/dnt/table", "application/json", "{}",
        fromProxy.toArray(String[]::new)));
  }

  @Test
  void localServiceRoutesGoToThisNodesProxy() throws Exception {
    HttpResponse<String> r = post("/v1/_service/llm/v1/chat/completions", "application/json", "{}");
    assertEquals("local llm/v1/chat/completions", r.body());
    assertEquals("QmSelf", r.headers().firstValue("X-Computing-Node").orElseThrow());
    HttpResponse<String> missing = post("/v1/_service/missing/v1/chat/completions", "application/json", "{}");
    assertTrue(assertApiError(ApiError.SERVICE_UNAVAILABLE, missing).get("message").asText().contains("missing"));
    assertTrue(missing.headers().firstValue("X-Request-Id").isPresent());
  }

  @Test
  void modelsAreListedInOpenAiShapeAndRetrievedWithEncodedIds() throws Exception {
    JsonNode list = Json.MAPPER.readTree(org.opentela.testing.Http.get(url("/v1/service/llm/v1/models")).body());
    assertEquals("list", list.get("object").asText());
    assertEquals("a/b", list.get("data").get(0).get("id").asText());
    assertEquals(200, org.opentela.testing.Http.get(url("/v1/service/llm/v1/models/a%2Fb")).statusCode());
    assertApiError(ApiError.MODEL_NOT_FOUND, org.opentela.testing.Http.get(url("/v1/service/llm/v1/models/zzz")));
    assertApiError(ApiError.SERVICE_NOT_FOUND, org.opentela.testing.Http.get(url("/v1/service/embed/v1/models")));
  }
}
