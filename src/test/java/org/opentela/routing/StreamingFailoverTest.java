package org.opentela.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.ApiErrorAssert.assertApiError;
import static org.opentela.testing.ApiErrorAssert.assertErrorBody;
import static org.opentela.testing.Eventually.eventually;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentela.ApiError;
import org.opentela.testing.FakeOpenAi;
import org.opentela.testing.Http;
import org.opentela.testing.InJvmNode;

/** Streaming, cancellation, large bodies, timeouts and failover, through a head and two workers in one JVM. */
class StreamingFailoverTest {
  static InJvmNode head;
  static InJvmNode w1;
  static InJvmNode w2;
  static FakeOpenAi b1;
  static FakeOpenAi b2;
  static FakeOpenAi spare1;
  static FakeOpenAi spare2;

  @BeforeAll
  static void startCluster() throws Exception {
    Path dir = Files.createTempDirectory("streaming-test");
    b1 = FakeOpenAi.start("b1", "m");
    b2 = FakeOpenAi.start("b2", "m");
    spare1 = FakeOpenAi.start("spare1", "f");
    spare2 = FakeOpenAi.start("spare2", "f");
    head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "10", "--http.max_body", "16MiB");
    w1 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "11");
    // w2 is also an entry point with short timeouts, for the timeout tests.
    w2 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "12",
        "--routing.first_byte_timeout", "2s", "--routing.request_timeout", "3s");
    w1.publish("llm", b1.port, "model=m", "model=only-w1");
    w2.publish("llm", b2.port, "model=m");
    w1.publish("failover", spare1.port, "model=f");
    w2.publish("failover", spare2.port, "model=f");
    try {
      awaitServices();
    } catch (AssertionError e) {
      for (InJvmNode n : List.of(head, w1, w2)) {
        System.out.println("table of " + n.peerId() + ": " + n.table());
      }
      throw e;
    }
  }

  private static void awaitServices() {
    eventually("all services on every node", Duration.ofSeconds(30), () -> {
      for (InJvmNode n : List.of(head, w1, w2)) {
        n.assertSeesConnected(head.peerId(), w1.peerId(), w2.peerId());
        JsonNode t = n.table();
        assertEquals(2, t.get("/" + w1.peerId()).get("service").size(), () -> n.peerId() + " sees " + t);
        assertEquals(2, t.get("/" + w2.peerId()).get("service").size(), () -> n.peerId() + " sees " + t);
      }
    });
  }

  @AfterAll
  static void stopCluster() {
    for (AutoCloseable c : new AutoCloseable[] {w2, w1, head, b1, b2, spare1, spare2}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  private static HttpRequest.Builder post(InJvmNode node, String path, String body) {
    return HttpRequest.newBuilder(URI.create(node.url(path))).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
  }

  /** Events (the text after "data: ") with their arrival times in ms since the request was sent. */
  private record Event(String data, long atMs) {}

  private static List<Event> readEvents(HttpResponse<InputStream> r, long sentNanos, int max) throws Exception {
    List<Event> events = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      String line;
      while (events.size() < max && (line = in.readLine()) != null) {
        if (line.startsWith("data: ")) {
          events.add(new Event(line.substring(6), (System.nanoTime() - sentNanos) / 1_000_000));
        }
      }
    }
    return events;
  }

  @Test
  void streamsEachEventInOrderAsTheBackendWritesIt() throws Exception {
    long sent = System.nanoTime();
    HttpResponse<InputStream> r = Http.client().send(post(head, "/v1/service/llm/v1/chat/completions",
            "{\"model\":\"only-w1\",\"stream\":true}").header("X-Fake-Chunks", "5").header("X-Fake-Delay", "300").build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElseThrow());
    assertEquals(w1.peerId(), r.headers().firstValue("X-Computing-Node").orElseThrow());
    List<Event> events = readEvents(r, sent, 100);
    assertEquals(6, events.size(), events.toString());
    for (int i = 0; i < 5; i++) {
      assertTrue(events.get(i).data().contains("\"t" + i + " \""), "in order: " + events);
    }
    assertEquals("[DONE]", events.get(5).data());
    // Each event arrives when the backend writes it, not all at the end: 300 ms apart at the source.
    long spread = events.get(4).atMs() - events.get(0).atMs();
    assertTrue(spread >= 900, "events arrived over " + spread + " ms: " + events);
    for (int i = 0; i < 4; i++) {
      long gap = events.get(i + 1).atMs() - events.get(i).atMs();
      assertTrue(gap >= 60, "gap " + i + " was " + gap + " ms: nothing may buffer a stream");
    }
  }

  @Test
  void aClientThatDisconnectsCancelsTheBackendRequest() throws Exception {
    int abandonedBefore = b1.streamsAbandoned.get();
    long sent = System.nanoTime();
    HttpResponse<InputStream> r = Http.client().send(post(head, "/v1/service/llm/v1/chat/completions",
            "{\"model\":\"only-w1\",\"stream\":true}").header("X-Fake-Chunks", "400").header("X-Fake-Delay", "50").build(),
        HttpResponse.BodyHandlers.ofInputStream());
    List<Event> first = readEvents(r, sent, 3); // closes the stream after three events
    assertEquals(3, first.size());
    eventually("the backend to see its connection close", Duration.ofSeconds(10),
        () -> assertTrue(b1.streamsAbandoned.get() > abandonedBefore, () -> "streams the backend saw abandoned: "
            + b1.streamsAbandoned.get() + ", before this test: " + abandonedBefore));
  }

  @Test
  void largeBodiesTravelBothWaysIntact() throws Exception {
    byte[] big = new byte[8 * 1024 * 1024];
    new Random(42).nextBytes(big);
    HttpResponse<byte[]> r = Http.client().send(HttpRequest.newBuilder(URI.create(head.url("/v1/service/llm/echo")))
            .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/octet-stream")
            .header("X-Otela-Identity-Group", "model=only-w1").POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode());
    assertEquals(w1.peerId(), r.headers().firstValue("X-Computing-Node").orElseThrow());
    assertTrue(Arrays.equals(big, r.body()), "8 MiB echoed through head and worker unchanged");

    StringBuilder chat = new StringBuilder("{\"model\":\"only-w1\",\"messages\":[{\"role\":\"user\",\"content\":\"");
    while (chat.length() < 8 * 1024 * 1024) {
      chat.append("lorem ipsum dolor sit amet ");
    }
    chat.append("\"}]}");
    HttpResponse<String> ok = Http.client().send(post(head, "/v1/service/llm/v1/chat/completions", chat.toString()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, ok.statusCode(), "an 8 MiB chat request is routed by its model");
  }

  @Test
  void aBodyOverTheLimitIsRefusedWith413() throws Exception {
    byte[] tooBig = new byte[17 * 1024 * 1024];
    HttpResponse<String> r = Http.client().send(HttpRequest.newBuilder(URI.create(head.url("/v1/service/llm/echo")))
            .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(tooBig)).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode e = assertApiError(ApiError.REQUEST_TOO_LARGE, r);
    assertTrue(e.get("message").asText().contains("--http.max_body"));
  }

  @Test
  void aSilentBackendGives504() throws Exception {
    HttpResponse<String> r = Http.client().send(HttpRequest.newBuilder(
            URI.create(w2.url("/v1/_service/llm/slow"))).header("X-Fake-Delay", "4000").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertApiError(ApiError.TIMEOUT, r);
  }

  @Test
  void theEntryNodesFirstByteTimeoutAppliesToRoutedRequests() throws Exception {
    // w2 is the entry point (first_byte_timeout 2 s); the request goes to w1, whose own timeout is 10 min.
    long sent = System.nanoTime();
    HttpResponse<String> r = Http.client().send(HttpRequest.newBuilder(URI.create(w2.url("/v1/service/llm/slow")))
        .header("X-Otela-Identity-Group", "model=only-w1").header("X-Fake-Delay", "6000").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    long tookMs = (System.nanoTime() - sent) / 1_000_000;
    JsonNode e = assertApiError(ApiError.TIMEOUT, r);
    assertTrue(e.get("message").asText().contains(w1.peerId()), r.body());
    assertTrue(tookMs >= 1900 && tookMs < 5500, "answered after " + tookMs + " ms");
  }

  @Test
  void aPinnedRequestWhoseTargetFailsGetsAnErrorStatus() throws Exception {
    HttpResponse<String> r = Http.client().send(post(head, "/v1/p2p/" + w2.peerId() + "/v1/_service/nothing/x",
        "{}").build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(assertApiError(ApiError.SERVICE_UNAVAILABLE, r).get("message").asText().contains("nothing"), r.body());
  }

  @Test
  void aStreamOverTheRequestTimeoutEndsWithAnErrorEvent() throws Exception {
    long sent = System.nanoTime();
    HttpResponse<InputStream> r = Http.client().send(post(w2, "/v1/service/llm/v1/chat/completions",
            "{\"model\":\"only-w1\",\"stream\":true}").header("X-Fake-Chunks", "40").header("X-Fake-Delay", "200").build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, r.statusCode());
    List<Event> events = readEvents(r, sent, 1000);
    Event last = events.get(events.size() - 1);
    assertTrue(events.size() > 3 && events.size() < 40, events.toString());
    assertErrorBody(ApiError.STREAM_INTERRUPTED, last.data());
  }

  @Test
  void failsOverToAnotherProviderWhenABackendDies() throws Exception {
    spare1.close(); // w1 still advertises the service, but its backend refuses connections
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> r = Http.client().send(post(head, "/v1/service/failover/v1/chat/completions",
          "{\"model\":\"f\"}").build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), "request " + i + ": " + r.body());
      assertEquals(w2.peerId(), r.headers().firstValue("X-Computing-Node").orElseThrow());
    }
    spare2.close();
    HttpResponse<String> r = Http.client().send(post(head, "/v1/service/failover/v1/chat/completions",
        "{\"model\":\"f\"}").build(), HttpResponse.BodyHandlers.ofString());
    assertApiError(ApiError.ALL_PROVIDERS_FAILED, r);
  }
}
