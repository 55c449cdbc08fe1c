package org.opentela.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;


import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.opentela.testing.FakeOpenAi;
import org.opentela.testing.Http;
import org.opentela.testing.InJvmNode;

/**
 * Two heads with {@code --lb-policy cache-aware} and three workers in one JVM: sessions go to the same
 * worker through either head, a worker's loss moves only its sessions, and a worker this head overloads
 * sheds them. The last test stops a worker, so the order matters.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CacheAwareClusterTest {
  private static final String CHAT = "/v1/service/llm/v1/chat/completions";
  static Path dir;
  static InJvmNode head1;
  static InJvmNode head2;
  static final List<InJvmNode> workers = new ArrayList<>();
  static final List<FakeOpenAi> backends = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    dir = Files.createTempDirectory("cache-aware-test");
    head1 = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0", "--lb-policy", "cache-aware");
    head2 = InJvmNode.start(dir, "--role", "head", "--bootstrap.addr", head1.multiaddr(), "--seed", "4",
        "--lb-policy", "cache-aware");
    for (int i = 1; i <= 3; i++) {
      FakeOpenAi b = FakeOpenAi.start("b" + i, "m");
      backends.add(b);
      InJvmNode w = InJvmNode.start(dir, "--bootstrap.addr", head1.multiaddr(), "--seed", "" + i);
      workers.add(w);
      w.publish("llm", b.port, "model=m");
    }
    for (InJvmNode head : List.of(head1, head2)) {
      eventually("head " + head.peerId() + " routes to all three workers", Duration.ofSeconds(60),
          () -> assertEquals(3, routable(head), () -> "routable workers in " + head.table()));
    }
  }

  /** How many workers this head's table shows connected with a connected llm service. */
  private static int routable(InJvmNode head) {
    JsonNode t = head.table();
    int n = 0;
    for (InJvmNode w : workers) {
      JsonNode row = t == null ? null : t.get("/" + w.peerId());
      if (row != null && row.get("connected").asBoolean() && row.get("status").asText().isEmpty()) {
        for (JsonNode s : row.get("service")) {
          n += s.get("status").asText().equals("connected") ? 1 : 0;
        }
      }
    }
    return n;
  }

  @AfterAll
  static void stopCluster() {
    List<AutoCloseable> all = new ArrayList<>(workers);
    all.add(head2);
    all.add(head1);
    all.addAll(backends);
    for (AutoCloseable c : all) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  private static HttpResponse<String> post(InJvmNode node, String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url(path))).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return Http.client().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The worker that answered a session's request through {@code head}. */
  private static String worker(InJvmNode head, String session) throws Exception {
    HttpResponse<String> r = post(head, CHAT, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "X-Session-Id", session);
    assertEquals(200, r.statusCode(), r.body());
    return r.headers().firstValue("X-Computing-Node").orElseThrow();
  }

  private static String workerByBody(InJvmNode head, String field, String session) throws Exception {
    HttpResponse<String> r = post(head, CHAT, "{\"model\":\"m\",\"" + field + "\":\"" + session
        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertEquals(200, r.statusCode(), r.body());
    return r.headers().firstValue("X-Computing-Node").orElseThrow();
  }

  @Test
  @Order(1)
  void bothHeadsSendEachSessionToTheSameWorker() throws Exception {
    Map<String, Integer> perWorker = new HashMap<>();
    for (int i = 0; i < 30; i++) {
      String s = "session-" + i;
      String via1 = worker(head1, s);
      assertEquals(via1, worker(head2, s), s + " through the second head");
      assertEquals(via1, worker(head1, s), s + " again");
      assertEquals(via1, workerByBody(head2, "prompt_cache_key", s), s + " as prompt_cache_key");
      assertEquals(via1, workerByBody(head1, "user", s), s + " as user");
      perWorker.merge(via1, 1, Integer::sum);
    }
    assertEquals(3, perWorker.size(), "30 sessions use all three workers: " + perWorker);
  }

  @Test
  @Order(2)
  void aConversationWithoutSessionStaysWithItsPrefix() throws Exception {
    String history = "{\"role\":\"system\",\"content\":\"" + "You are a terse assistant. ".repeat(30) + "\"}";
    String first = null;
    for (int turn = 0; turn < 6; turn++) {
      history += ",{\"role\":\"user\",\"content\":\"Question " + turn + ": " + "why? ".repeat(60) + "\"}";
      HttpResponse<String> r = post(head1, CHAT, "{\"model\":\"m\",\"messages\":[" + history + "]}");
      assertEquals(200, r.statusCode(), r.body());
      String node = r.headers().firstValue("X-Computing-Node").orElseThrow();
      if (first == null) {
        first = node;
      }
      assertEquals(first, node, "turn " + turn);
      history += ",{\"role\":\"assistant\",\"content\":\"Because. " + turn + "\"}";
    }
  }

  @Test
  @Order(3)
  void aWorkerThisHeadOverloadsShedsItsSessionsUntilItsLoadIsBack() throws Exception {
    String session = "busy-session";
    String home = worker(head1, session);
    // Six slow streams to the home worker through head1: 6 outstanding there, none elsewhere.
    List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      HttpRequest req = HttpRequest.newBuilder(URI.create(head1.url("/v1/p2p/" + home + "/v1/_service/llm/v1/chat/completions")))
          .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
          .header("X-Fake-Chunks", "8").header("X-Fake-Delay", "1000")
          .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"stream\":true}")).build();
      streams.add(Http.client().sendAsync(req, HttpResponse.BodyHandlers.ofString()));
    }
    eventually("six streams to " + home + " are open", Duration.ofSeconds(30), () -> {
      long open = backends.stream().mapToLong(b -> b.requests.stream().filter(s -> s.body().length > 0
          && new String(s.body()).contains("\"stream\":true")).count()).sum();
      assertTrue(open >= 6, open + " streams reached the backends");
    });
    String shed = worker(head1, session);
    assertNotEquals(home, shed, "6 outstanding vs 0 elsewhere: the session's worker is overloaded");
    assertEquals(shed, worker(head1, session), "its overflow goes to one stable second choice");
    assertEquals(home, worker(head2, session), "head2 sends nothing there: for it the worker is not overloaded");
    for (CompletableFuture<HttpResponse<String>> s : streams) {
      assertEquals(200, s.get().statusCode());
    }
    eventually("the session is back on " + home, Duration.ofSeconds(10),
        () -> assertEquals(home, worker(head1, session)));
  }

  @Test
  @Order(4)
  void aWorkersLossMovesOnlyItsSessions() throws Exception {
    Map<String, String> before = new HashMap<>();
    for (int i = 0; i < 30; i++) {
      before.put("session-" + i, worker(head1, "session-" + i));
    }
    InJvmNode lost = workers.get(2);
    assertTrue(before.containsValue(lost.peerId()), "some sessions live on " + lost.peerId() + ": " + before);
    lost.close();
    for (InJvmNode head : List.of(head1, head2)) {
      eventually("head " + head.peerId() + " no longer routes to " + lost.peerId(), Duration.ofSeconds(60),
          () -> assertEquals(2, routable(head), () -> "routable workers in " + head.table()));
    }
    int moved = 0;
    for (Map.Entry<String, String> e : before.entrySet()) {
      String after1 = worker(head1, e.getKey());
      assertEquals(after1, worker(head2, e.getKey()), e.getKey() + ": the heads still agree");
      if (e.getValue().equals(lost.peerId())) {
        assertNotEquals(lost.peerId(), after1);
        moved++;
      } else {
        assertEquals(e.getValue(), after1, e.getKey() + " was not on the lost worker: it stays");
      }
    }
    assertTrue(moved > 0);
  }
}
