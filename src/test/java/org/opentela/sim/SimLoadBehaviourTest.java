package org.opentela.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a router sees of the sim under load: live gauges, a bounded batch with a queue behind it,
 * cancellation when the client's connection closes, and latency that respects the configured delays.
 */
class SimLoadBehaviourTest {
  private static final Duration PATIENCE = Duration.ofSeconds(10);
  /** Slow enough that a stream is still running when the test looks (1000 tokens x 50 ms). */
  private static LlmSim slow;
  private static SimHttp slowHttp;

  @BeforeAll
  static void start() {
    slow = LlmSim.start(SimSettings.defaults().withPort(0).withModels("busy", "idle").withLatency(20, 50)
        .withMaxTokens(1000).withMaxNumSeqs(2));
    slowHttp = new SimHttp(slow.port());
  }

  @AfterAll
  static void stop() {
    slow.close();
  }

  @Test
  void gaugesShowRunningAndWaitingRequestsAndClosedStreamsAreCancelled() throws IOException {
    SimStats before = slow.stats("busy");
    List<Socket> streams = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        streams.add(slowHttp.openChatStream("busy"));
      }
      eventually(PATIENCE, () -> {
        String metrics = slowHttp.get("/metrics").body();
        assertTrue(metrics.contains("# TYPE vllm:num_requests_running gauge\n"), metrics);
        assertTrue(metrics.contains("vllm:num_requests_running{model_name=\"busy\"} 2.0\n"), metrics);
        assertTrue(metrics.contains("vllm:num_requests_waiting{model_name=\"busy\"} 1.0\n"), metrics);
        assertTrue(metrics.contains("vllm:kv_cache_usage_perc{model_name=\"busy\"} 1.0\n"), metrics);
        assertTrue(metrics.contains("vllm:gpu_cache_usage_perc{model_name=\"busy\"} 1.0\n"), metrics);
        assertTrue(metrics.contains("vllm:num_requests_running{model_name=\"idle\"} 0.0\n"), metrics);
      });
      // Tokens flow on the two running streams (which two depends on the order the requests arrived in).
      long tokens = slow.stats("busy").generatedTokens();
      eventually(PATIENCE, () -> assertTrue(slow.stats("busy").generatedTokens() >= tokens + 4));
    } finally {
      for (Socket s : streams) {
        s.close();
      }
    }
    eventually(PATIENCE, () -> {
      SimStats now = slow.stats("busy");
      assertEquals(0, now.running(), now.toString());
      assertEquals(0, now.waiting(), now.toString());
      assertEquals(before.cancelled() + 3, now.cancelled(), now.toString());
      assertEquals(before.completed(), now.completed(), now.toString());
    });
    String metrics = slowHttp.get("/metrics").body();
    assertTrue(metrics.contains("vllm:num_requests_running{model_name=\"busy\"} 0.0\n"), metrics);
  }

  @Test
  void aClosedConnectionStopsItsGenerationPromptly() throws IOException {
    SimStats before = slow.stats("idle");
    Socket s = slowHttp.openChatStream("idle");
    SimHttp.readUntil(s, "\"content\":\"This\"");
    long closedAt = System.nanoTime();
    s.close();
    // Pekko HTTP's default cancellation delay made this about a second; the sim notices within a token or
    // two (50 ms each). The bound is generous for a busy machine but well below that second.
    eventually(PATIENCE, () -> assertEquals(before.cancelled() + 1, slow.stats("idle").cancelled()));
    long tookMs = (System.nanoTime() - closedAt) / 1_000_000;
    assertTrue(tookMs < 600, "cancelled " + tookMs + " ms after the client closed");
    assertEquals(0, slow.stats("idle").running());
  }

  @Test
  void aClientThatLeavesBetweenTwoSlowTokensIsNoticedAtOnce() throws IOException {
    // The next token is 5 s away, so no write would reveal the closed socket: the sim sees the close itself.
    try (LlmSim glacial = LlmSim.start(SimSettings.defaults().withPort(0).withModels("m").withLatency(0, 5000))) {
      Socket s = new SimHttp(glacial.port()).openChatStream("m");
      SimHttp.readUntil(s, "\"content\":\"This\"");
      long closedAt = System.nanoTime();
      s.close();
      eventually(PATIENCE, () -> assertEquals(1, glacial.stats().cancelled()));
      long tookMs = (System.nanoTime() - closedAt) / 1_000_000;
      assertTrue(tookMs < 2_000, "cancelled " + tookMs + " ms after the client closed");
      assertEquals(0, glacial.stats().running());
    }
  }

  @Test
  void waitingAndNonStreamingRequestsAreCancelledWhenTheirClientLeaves() throws IOException {
    SimStats before = slow.stats("idle");
    try (Socket a = slowHttp.openChat("idle", false); Socket b = slowHttp.openChat("idle", false)) {
      eventually(PATIENCE, () -> assertEquals(2, slow.stats("idle").running()));
      try (Socket waiting = slowHttp.openChatStream("idle")) {
        eventually(PATIENCE, () -> assertEquals(1, slow.stats("idle").waiting()));
      }
      eventually(PATIENCE, () -> assertEquals(0, slow.stats("idle").waiting()));
      assertEquals(2, slow.stats("idle").running(), "the one that left never ran");
    }
    eventually(PATIENCE, () -> {
      SimStats now = slow.stats("idle");
      assertEquals(0, now.running(), now.toString());
      assertEquals(before.cancelled() + 3, now.cancelled(), now.toString());
      assertEquals(before.completed(), now.completed(), now.toString());
    });
  }

  @Test
  void aWaitingRequestStartsWhenARunningOneIsCancelled() throws IOException {
    try (Socket a = slowHttp.openChatStream("idle"); Socket b = slowHttp.openChatStream("idle")) {
      SimHttp.readUntil(a, "\"role\":\"assistant\"");
      SimHttp.readUntil(b, "\"role\":\"assistant\"");
      try (Socket c = slowHttp.openChatStream("idle")) {
        eventually(PATIENCE, () -> assertEquals(1, slow.stats("idle").waiting()));
        a.close();
        // c takes a's slot: its first token arrives, and the batch stays full.
        SimHttp.readUntil(c, "\"content\":\"This\"");
        SimStats s = slow.stats("idle");
        assertEquals(2, s.running(), s.toString());
        assertEquals(0, s.waiting(), s.toString());
      }
    }
    eventually(PATIENCE, () -> assertEquals(0, slow.stats("idle").running()));
  }

  @Test
  void answersTakeAtLeastTheConfiguredLatency() throws IOException {
    // Alone on its engine: ttft 150 ms, then 4 more tokens at 30 ms each.
    try (LlmSim sim = LlmSim.start(SimSettings.defaults().withPort(0).withModels("m").withLatency(150, 30)
        .withMaxTokens(5))) {
      SimHttp http = new SimHttp(sim.port());
      http.get("/health"); // connect and warm up outside the measurement
      long t0 = System.nanoTime();
      HttpResponse<String> r = http.post("/v1/chat/completions",
          "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
      long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(200, r.statusCode());
      assertTrue(elapsedMs >= 150 + 4 * 30, "answered after " + elapsedMs + " ms");
      assertTrue(elapsedMs < 5_000, "answered after " + elapsedMs + " ms");

      long t1 = System.nanoTime();
      try (Socket s = http.openChatStream("m")) {
        SimHttp.readUntil(s, "data: ");
        long firstEventMs = (System.nanoTime() - t1) / 1_000_000;
        assertTrue(firstEventMs >= 150, "first event after " + firstEventMs + " ms");
        SimHttp.readUntil(s, "data: [DONE]");
      }
      eventually(PATIENCE, () -> assertEquals(2, sim.stats().completed()));
    }
  }

  @Test
  void failRateAnswers500InVllmErrorShapeWithoutRunning() {
    try (LlmSim sim = LlmSim.start(SimSettings.defaults().withPort(0).withModels("m").withLatency(0, 0)
        .withFailRate(1))) {
      HttpResponse<String> r = new SimHttp(sim.port()).post("/v1/chat/completions",
          "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
      assertEquals(500, r.statusCode());
      var error = SimHttp.parse(r.body()).get("error");
      assertEquals("InternalServerError", error.get("type").asText());
      assertEquals(500, error.get("code").asInt());
      assertEquals(1, sim.stats().failed());
      assertEquals(0, sim.stats().received());
    }
  }
}
