package org.opentela.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opentela.ApiError;
import org.opentela.testing.FakeOpenAi;
import org.opentela.testing.Http;
import org.opentela.testing.InJvmNode;

/**
 * Faults that streams between nodes must survive, each in an open pool and in a closed one. A closed pool
 * runs Artery in untrusted mode, which drops every system message a peer sends (remote death watch among
 * them): what a node learns of a crashed peer must come from cluster membership alone, and what it
 * learns of a stream's other end from the stream's own messages, with the same outcome as in an open pool.
 */
class ClosedPoolFaultsTest {

  @ParameterizedTest(name = "closed pool: {0}")
  @ValueSource(booleans = {false, true})
  void aWorkerCrashingMidStreamIsFailedOverAndPruned(boolean closed, @TempDir Path dir) throws Exception {
    try (FakeOpenAi b1 = FakeOpenAi.start("b1", "m"); FakeOpenAi b2 = FakeOpenAi.start("b2", "m");
         InJvmNode head = closed ? InJvmNode.start(dir, "--mode", "standalone", "--seed", "50", "--pool.secure")
             : InJvmNode.start(dir, "--mode", "standalone", "--seed", "50")) {
      List<String> join = new ArrayList<>(List.of("--bootstrap.addr", head.multiaddr()));
      if (closed) {
        join.addAll(List.of("--join-token", head.context.trust().poolDir().get().token().toString(),
            "--bootstrap.api-port", "" + head.httpPort));
      }
      try (InJvmNode w2 = InJvmNode.start(dir, flags(join, "--seed", "52"))) {
        // w1 dies without leaving the cluster, as a killed process or a lost machine does.
        InJvmNode w1 = InJvmNode.start(dir, flags(join, "--seed", "51",
            "-Dpekko.coordinated-shutdown.run-by-actor-system-terminate=off"));
        w1.publish("llm", b1.port, "model=m", "model=only-w1");
        w2.publish("llm", b2.port, "model=m");
        eventually("both workers to serve", Duration.ofSeconds(60), () -> {
          for (InJvmNode w : List.of(w1, w2)) {
            JsonNode row = head.table().get("/" + w.peerId());
            assertTrue(row != null && row.get("connected").asBoolean() && row.get("service").size() == 1,
                () -> w.peerId() + " is not serving in " + head.table());
          }
        });
        if (closed) {
          assertEquals("tls-tcp", w1.system().settings().config().getString("pekko.remote.artery.transport"));
          assertTrue(w1.system().settings().config().getBoolean("pekko.remote.artery.untrusted-mode"));
        }

        // A 20-second stream that only w1 can serve, three events in; then requests that either can.
        HttpResponse<InputStream> stream = Http.client().send(HttpRequest.newBuilder(
                URI.create(head.url("/v1/service/llm/v1/chat/completions"))).timeout(Duration.ofSeconds(120))
            .header("Content-Type", "application/json").header("X-Fake-Chunks", "100").header("X-Fake-Delay", "200")
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"only-w1\",\"stream\":true}")).build(),
            HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        assertEquals(w1.peerId(), stream.headers().firstValue("X-Computing-Node").orElseThrow());
        BufferedReader events = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
        List<String> received = new ArrayList<>();
        while (received.size() < 3) {
          String line = events.readLine();
          assertTrue(line != null, "the stream ended early: " + received);
          if (line.startsWith("data: ")) {
            received.add(line.substring(6));
          }
        }
        CompletableFuture<List<String>> rest = CompletableFuture.supplyAsync(() -> readAll(events));
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          inFlight.add(slow(head, 2500));
        }
        eventually("requests to reach w1's backend", Duration.ofSeconds(10),
            () -> assertTrue(b1.requests.size() >= 3, () -> "requests at w1's backend: " + b1.requests.size()));
        long crashed = System.nanoTime();
        w1.node.stop(); // no coordinated shutdown (see its flag): it just disappears

        eventually("the head to stop routing to w1", Duration.ofSeconds(20), () -> {
          JsonNode row = head.table().get("/" + w1.peerId());
          assertTrue(row == null || !row.get("connected").asBoolean(), () -> "the head's table: " + head.table());
        });
        for (CompletableFuture<HttpResponse<String>> f : inFlight) {
          HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
          assertEquals(200, r.statusCode(), "no client of a routed request sees the crash: " + r.body());
          assertEquals(w2.peerId(), r.headers().firstValue("X-Computing-Node").orElseThrow());
        }

        // The stream already sent its 200: it cannot move, and ends with an error event instead of hanging.
        List<String> tail = rest.get(60, TimeUnit.SECONDS);
        long streamEnded = System.nanoTime();
        assertFalse(tail.isEmpty() || tail.contains("[DONE]"), "the stream went on after the crash: " + tail);
        assertErrorBody(ApiError.STREAM_INTERRUPTED, tail.get(tail.size() - 1));

        eventually("w1 to be downed and pruned from every table", Duration.ofSeconds(60), () -> {
          assertFalse(head.table().has("/" + w1.peerId()), () -> "the head's table: " + head.table());
          assertFalse(w2.table().has("/" + w1.peerId()), () -> "w2's table: " + w2.table());
        });
        System.out.println((closed ? "closed" : "open") + " pool: the stream on the crashed worker ended "
            + (streamEnded - crashed) / 1_000_000 + " ms after the crash, the worker was pruned after "
            + (System.nanoTime() - crashed) / 1_000_000 + " ms");
        HttpResponse<String> after = slow(head, 0).get(60, TimeUnit.SECONDS);
        assertEquals(200, after.statusCode(), after.body());
        assertEquals(w2.peerId(), after.headers().firstValue("X-Computing-Node").orElseThrow());
      }
    }
  }

  @ParameterizedTest(name = "closed pool: {0}")
  @ValueSource(booleans = {false, true})
  void aClientThatDisconnectsCancelsTheBackendRequestAndBigBodiesCross(boolean closed, @TempDir Path dir)
      throws Exception {
    try (FakeOpenAi b = FakeOpenAi.start("b", "m");
         InJvmNode head = closed ? InJvmNode.start(dir, "--mode", "standalone", "--seed", "53", "--pool.secure")
             : InJvmNode.start(dir, "--mode", "standalone", "--seed", "53")) {
      List<String> join = new ArrayList<>(List.of("--bootstrap.addr", head.multiaddr()));
      if (closed) {
        join.addAll(List.of("--join-token", head.context.trust().poolDir().get().token().toString(),
            "--bootstrap.api-port", "" + head.httpPort));
      }
      try (InJvmNode w = InJvmNode.start(dir, flags(join, "--seed", "54"))) {
        w.publish("llm", b.port, "model=m");
        eventually("the worker to serve", Duration.ofSeconds(60), () -> {
          JsonNode row = head.table().get("/" + w.peerId());
          assertTrue(row != null && row.get("connected").asBoolean() && row.get("service").size() == 1,
              () -> "the head's table: " + head.table());
        });

        // The head's end of the reply stream goes away: the worker must learn it and drop its backend call.
        HttpResponse<InputStream> r = Http.client().send(HttpRequest.newBuilder(
                URI.create(head.url("/v1/service/llm/v1/chat/completions"))).timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json").header("X-Fake-Chunks", "400").header("X-Fake-Delay", "50")
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"stream\":true}")).build(),
            HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
          int events = 0;
          while (events < 3) {
            String line = in.readLine();
            assertTrue(line != null, "the stream ended early");
            events += line.startsWith("data: ") ? 1 : 0;
          }
        }
        eventually("the backend to see its connection close", Duration.ofSeconds(15),
            () -> assertEquals(1, b.streamsAbandoned.get(), () -> "streams the backend saw abandoned: "
                + b.streamsAbandoned.get() + ", completed: " + b.streamsCompleted.get()));

        // 8 MiB each way: the request body crosses as a stream too.
        byte[] big = new byte[8 * 1024 * 1024];
        new java.util.Random(7).nextBytes(big);
        HttpResponse<byte[]> echo = Http.client().send(HttpRequest.newBuilder(URI.create(head.url("/v1/service/llm/echo")))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/octet-stream")
                .header("X-Otela-Identity-Group", "model=m").POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, echo.statusCode());
        assertTrue(java.util.Arrays.equals(big, echo.body()), "8 MiB echoed through head and worker unchanged");
        // 2 MiB: one message on Artery's large-message lane (its own TLS connection in a closed pool; issue 17).
        byte[] mid = java.util.Arrays.copyOf(big, 2 * 1024 * 1024);
        HttpResponse<byte[]> echo2 = Http.client().send(HttpRequest.newBuilder(URI.create(head.url("/v1/service/llm/echo")))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/octet-stream")
                .header("X-Otela-Identity-Group", "model=m").POST(HttpRequest.BodyPublishers.ofByteArray(mid)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, echo2.statusCode());
        assertTrue(java.util.Arrays.equals(mid, echo2.body()), "2 MiB echoed through head and worker unchanged");
      }
    }
  }

  @ParameterizedTest(name = "closed pool: {0}")
  @ValueSource(booleans = {false, true})
  void aDownedWorkerStartsAFreshMemberAndRejoins(boolean closed, @TempDir Path dir) throws Exception {
    try (FakeOpenAi b = FakeOpenAi.start("b", "m");
         InJvmNode head = closed ? InJvmNode.start(dir, "--mode", "standalone", "--seed", "55", "--pool.secure")
             : InJvmNode.start(dir, "--mode", "standalone", "--seed", "55")) {
      List<String> join = new ArrayList<>(List.of("--bootstrap.addr", head.multiaddr()));
      if (closed) {
        join.addAll(List.of("--join-token", head.context.trust().poolDir().get().token().toString(),
            "--bootstrap.api-port", "" + head.httpPort));
      }
      try (InJvmNode w = InJvmNode.start(dir, flags(join, "--seed", "56"))) {
        eventually("the worker to join", Duration.ofSeconds(60), () -> head.assertSeesConnected(head.peerId(), w.peerId()));
        var firstSystem = w.system();
        org.apache.pekko.cluster.typed.Cluster.get(head.system()).manager()
            .tell(new org.apache.pekko.cluster.typed.Down(firstSystem.address()));
        eventually("the worker to replace its member", Duration.ofSeconds(60),
            () -> org.junit.jupiter.api.Assertions.assertNotSame(firstSystem, w.system(), "the worker's actor system"));
        assertFalse(w.exit.isDone(), "the node did not exit");
        w.publish("llm", b.port, "model=m");
        eventually("the worker to be back and serving", Duration.ofSeconds(60), () -> {
          JsonNode row = head.table().get("/" + w.peerId());
          assertTrue(row != null && row.get("connected").asBoolean() && row.get("service").size() == 1,
              () -> "the head's table: " + head.table());
        });
      }
    }
  }

  private static String[] flags(List<String> join, String... more) {
    List<String> all = new ArrayList<>(join);
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  private static List<String> readAll(BufferedReader in) {
    List<String> data = new ArrayList<>();
    try (in) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("data: ")) {
          data.add(line.substring(6));
        }
      }
    } catch (java.io.IOException e) {
      data.add("(connection failed: " + e + ")");
    }
    return data;
  }

  private static CompletableFuture<HttpResponse<String>> slow(InJvmNode head, long delayMs) {
    return Http.client().sendAsync(HttpRequest.newBuilder(URI.create(head.url("/v1/service/llm/slow")))
        .timeout(Duration.ofSeconds(60)).header("X-Otela-Identity-Group", "model=m")
        .header("X-Fake-Delay", Long.toString(delayMs)).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
