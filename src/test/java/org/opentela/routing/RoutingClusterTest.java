package org.opentela.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.ApiErrorAssert.assertApiError;
import static org.opentela.testing.Eventually.eventually;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentela.ApiError;
import org.opentela.Json;
import org.opentela.testing.FakeOpenAi;
import org.opentela.testing.Http;
import org.opentela.testing.InJvmNode;

/** A head and two workers in one JVM, each worker in front of a real local HTTP backend. */
class RoutingClusterTest {
  static Path dir;
  static InJvmNode head;
  static InJvmNode w1;
  static InJvmNode w2;
  static FakeOpenAi b1;
  static FakeOpenAi b2;

  @BeforeAll
  static void startCluster() throws Exception {
    dir = Files.createTempDirectory("routing-test");
    b1 = FakeOpenAi.start("b1", "model-a", "shared").header("X-Extra", "from-b1");
    b2 = FakeOpenAi.start("b2", "model-b", "shared");
    head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0");
    w1 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "1");
    w2 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "2");
    w1.publish("llm", b1.port, "model=model-a", "model=shared");
    w2.publish("llm", b2.port, "model=model-b", "model=shared", "all");
    eventually("the head to see both workers' services", Duration.ofSeconds(30), () -> {
      head.assertSeesConnected(head.peerId(), w1.peerId(), w2.peerId());
      JsonNode t = head.table();
      assertEquals(List.of(1, 1), List.of(services(t, w1.peerId()), services(t, w2.peerId())), t::toString);
    });
    // Some tests read a worker's own table (through /v1/p2p/): wait until every node has all three rows.
    eventually("every node's table to have all three nodes", Duration.ofSeconds(30), () -> {
      for (InJvmNode n : new InJvmNode[] {w1, w2}) {
        JsonNode t = n.table();
        assertEquals(3, t == null ? 0 : t.size(), () -> n.peerId() + " sees " + t);
      }
    });
  }

  private static int services(JsonNode t, String id) {
    JsonNode row = t.get("/" + id);
    return row == null ? 0 : row.get("service").size();
  }

  @AfterAll
  static void stopCluster() {
    for (AutoCloseable c : new AutoCloseable[] {w2, w1, head, b1, b2}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  static HttpResponse<String> chat(InJvmNode node, String path, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url(path))).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return Http.client().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void routesToTheWorkerServingTheRequestedModel() throws Exception {
    HttpResponse<String> a = chat(head, "/v1/service/llm/v1/chat/completions",
        "{\"model\":\"model-a\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertEquals(200, a.statusCode(), a.body());
    assertTrue(a.body().contains("hello from b1"), a.body());
    assertEquals(w1.peerId(), a.headers().firstValue("X-Computing-Node").orElseThrow());
    assertEquals("from-b1", a.headers().firstValue("X-Extra").orElseThrow(), "response headers pass through");

    HttpResponse<String> b = chat(head, "/v1/service/llm/v1/chat/completions",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"model\":\"model-b\"}");
    assertEquals(200, b.statusCode());
    assertEquals(w2.peerId(), b.headers().firstValue("X-Computing-Node").orElseThrow());
  }

  @Test
  void everyNodeRoutesNotOnlyTheHead() throws Exception {
    HttpResponse<String> r = chat(w1, "/v1/service/llm/v1/chat/completions", "{\"model\":\"model-b\"}");
    assertEquals(200, r.statusCode());
    assertEquals(w2.peerId(), r.headers().firstValue("X-Computing-Node").orElseThrow());
  }

  @Test
  void spreadsASharedModelOverItsProviders() throws Exception {
    Set<String> nodes = new HashSet<>();
    for (int i = 0; i < 40; i++) {
      nodes.add(chat(head, "/v1/service/llm/v1/chat/completions", "{\"model\":\"shared\"}")
          .headers().firstValue("X-Computing-Node").orElseThrow());
    }
    assertEquals(Set.of(w1.peerId(), w2.peerId()), nodes);
  }

  @Test
  void passesQueryHeadersAndBodyThroughAndEchoesTheRequestId() throws Exception {
    int before = b1.requests.size();
    HttpResponse<String> r = chat(head, "/v1/service/llm/v1/chat/completions?api-version=2&x=%20y",
        "{\"model\":\"model-a\"}", "Authorization", "Bearer test-token", "X-Request-Id", "req-123");
    assertEquals(200, r.statusCode());
    assertEquals("req-123", r.headers().firstValue("X-Request-Id").orElseThrow());
    FakeOpenAi.Seen seen = b1.requests.get(before);
    assertEquals("/v1/chat/completions", seen.path());
    assertEquals("api-version=2&x=%20y", seen.query());
    assertEquals(List.of("Bearer test-token"), seen.headers().get("Authorization"));
    assertEquals(List.of("req-123"), seen.headers().get("X-request-id"));
    assertEquals("{\"model\":\"model-a\"}", new String(seen.body()));
  }

  /**
   * Issue 17: a 20 MB chat message was a 400 (Jackson refused to decode a string that long). Each size takes
   * another way head -> worker: one ordinary message (200 KB), one message on Artery's large-message lane
   * (2 MB), a stream of chunks (20 MB). The head routes each by its model, which comes after the text.
   */
  @org.junit.jupiter.params.ParameterizedTest(name = "{0} characters")
  @org.junit.jupiter.params.provider.ValueSource(ints = {200_000, 2_000_000, 20_000_000})
  void aLongChatRequestArrivesAtTheBackendByteIdentical(int chars) throws Exception {
    StringBuilder content = new StringBuilder(chars + 100);
    java.util.Random r = new java.util.Random(17);
    String[] words = {"caf\u00e9", "\u4e2d\u6587", "\\n", "\\\"q\\\"", "context", "window", "\ud83d\ude00"};
    while (content.length() < chars) {
      content.append(words[r.nextInt(words.length)]).append(' ');
    }
    byte[] body = ("{\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}],\"model\":\"model-a\"}")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int before = b1.requests.size();
    HttpResponse<byte[]> echo = Http.client().send(HttpRequest.newBuilder(URI.create(head.url("/v1/service/llm/echo")))
            .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, echo.statusCode(), () -> new String(echo.body(), java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(w1.peerId(), echo.headers().firstValue("X-Computing-Node").orElseThrow(), "routed by the model");
    assertTrue(java.util.Arrays.equals(body, b1.requests.get(before).body()), "the backend got the body unchanged");
    assertTrue(java.util.Arrays.equals(body, echo.body()), "and echoed it back unchanged");
  }

  @Test
  void generatesARequestIdWhenNoneIsGiven() throws Exception {
    HttpResponse<String> r = chat(head, "/v1/service/llm/v1/chat/completions", "{\"model\":\"model-a\"}");
    assertTrue(r.headers().firstValue("X-Request-Id").orElse("").length() >= 8);
  }

  @Test
  void pinnedRoutingReachesThatWorkersLocalService() throws Exception {
    HttpResponse<String> r = chat(head, "/v1/p2p/" + w2.peerId() + "/v1/_service/llm/v1/chat/completions",
        "{\"model\":\"model-a\"}");
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("hello from b2"), "pinned ignores the model: " + r.body());
    assertEquals(w2.peerId(), r.headers().firstValue("X-Computing-Node").orElseThrow());

    HttpResponse<String> table = Http.get(head.url("/v1/p2p/" + w1.peerId() + "/v1/dnt/table"));
    assertEquals(200, table.statusCode());
    assertEquals(w1.peerId(), table.headers().firstValue("X-Computing-Node").orElseThrow());
    assertEquals(3, Json.MAPPER.readTree(table.body()).size(), "the worker's own API answered");
  }

  @Test
  void localServiceRouteReachesThisNodesBackend() throws Exception {
    HttpResponse<String> r = chat(w1, "/v1/_service/llm/v1/chat/completions", "{\"model\":\"whatever\"}");
    assertEquals(200, r.statusCode());
    assertTrue(r.body().contains("hello from b1"));
    HttpResponse<String> none = chat(head, "/v1/_service/llm/v1/chat/completions", "{}");
    assertApiError(ApiError.SERVICE_UNAVAILABLE, none);
  }

  @Test
  void modelsListIsTheUnionOfTheProvidersModels() throws Exception {
    HttpResponse<String> r = Http.get(head.url("/v1/service/llm/v1/models"));
    assertEquals(200, r.statusCode());
    JsonNode list = Json.MAPPER.readTree(r.body());
    assertEquals("list", list.get("object").asText());
    List<String> ids = new java.util.ArrayList<>();
    list.get("data").forEach(m -> {
      ids.add(m.get("id").asText());
      assertEquals("model", m.get("object").asText());
      assertTrue(m.has("created") && m.has("owned_by"));
    });
    assertEquals(List.of("model-a", "model-b", "shared"), ids);
    assertEquals(200, Http.get(head.url("/v1/service/llm/v1/models/model-b")).statusCode());
    assertApiError(ApiError.MODEL_NOT_FOUND, Http.get(head.url("/v1/service/llm/v1/models/nope")));
  }

  @Test
  void identityGroupHeaderAndFallbackTiers() throws Exception {
    HttpResponse<String> byHeader = chat(head, "/v1/service/llm/v1/chat/completions", "{\"model\":\"model-a\"}",
        "X-Otela-Identity-Group", "model=model-b");
    assertEquals(w2.peerId(), byHeader.headers().firstValue("X-Computing-Node").orElseThrow());

    HttpResponse<String> unknown = chat(head, "/v1/service/llm/v1/chat/completions", "{\"model\":\"gpt-9\"}");
    JsonNode e = assertApiError(ApiError.MODEL_NOT_FOUND, unknown);
    assertTrue(e.get("message").asText().contains("[model-a, model-b, shared]"), e.toString());

    HttpResponse<String> catchAll = chat(head, "/v1/service/llm/v1/chat/completions", "{\"model\":\"gpt-9\"}",
        "X-Otela-Fallback", "2");
    assertEquals(200, catchAll.statusCode());
    assertEquals(w2.peerId(), catchAll.headers().firstValue("X-Computing-Node").orElseThrow(), "only w2 has 'all'");
  }

  @Test
  void userErrorsAreFourHundredsWithOpenAiShapedBodies() throws Exception {
    HttpResponse<String> malformed = chat(head, "/v1/service/llm/v1/chat/completions", "{\"model\": \"model-a\",");
    assertApiError(ApiError.INVALID_JSON, malformed);

    HttpResponse<String> notObject = chat(head, "/v1/service/llm/v1/chat/completions", "[1,2]");
    assertApiError(ApiError.INVALID_JSON, notObject);

    HttpResponse<String> badName = chat(head, "/v1/service/ll%20m/v1/chat/completions", "{}");
    assertApiError(ApiError.INVALID_SERVICE_NAME, badName);

    HttpResponse<String> noService = chat(head, "/v1/service/embeddings/v1/embeddings", "{\"model\":\"x\"}");
    assertTrue(assertApiError(ApiError.SERVICE_NOT_FOUND, noService).get("message").asText().contains("[llm]"));

    HttpResponse<String> noPeer = chat(head, "/v1/p2p/QmUnknownPeer/v1/health", "{}");
    assertApiError(ApiError.PEER_NOT_FOUND, noPeer);

    assertApiError(ApiError.NOT_FOUND, Http.get(head.url("/v2/nothing")));
  }

  @Test
  void backendErrorsPassThroughUnchanged() throws Exception {
    HttpResponse<String> r = chat(head, "/v1/service/llm/v1/unknown-endpoint", "{\"model\":\"model-a\"}");
    assertEquals(404, r.statusCode());
    assertTrue(r.body().contains("no such path"), r.body());
    assertEquals(w1.peerId(), r.headers().firstValue("X-Computing-Node").orElseThrow());
  }

  @Test
  void corsPreflightIsAnswered() throws Exception {
    HttpResponse<String> r = Http.client().send(HttpRequest.newBuilder(
            URI.create(head.url("/v1/service/llm/v1/chat/completions")))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "http://app.example")
        .header("Access-Control-Request-Headers", "authorization, content-type").build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    // The default --http.cors_origins: any origin, never with credentials.
    assertEquals("*", r.headers().firstValue("Access-Control-Allow-Origin").orElseThrow());
    assertTrue(r.headers().firstValue("Access-Control-Allow-Credentials").isEmpty());
    assertEquals("authorization, content-type", r.headers().firstValue("Access-Control-Allow-Headers").orElseThrow());
  }
}
