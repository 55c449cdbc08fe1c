package org.opentela.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.testing.Http;
import org.opentela.testing.JarProcess;
import org.opentela.testing.Ports;

/**
 * A head drains like a worker (issue 13, item 1): a 300-token stream through the head survives the
 * head's SIGTERM, to {@code [DONE]}, and only then does the head exit. It used to exit in 2.8 s with no
 * "Draining" line, the client's connection reset after 96 of 300 chunks.
 */
class HeadDrainE2ETest {
  private static final String HEAD_ID = "QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE";

  @Test
  void aStreamThroughTheHeadSurvivesTheHeadsSigterm(@TempDir Path dir) throws Exception {
    int tokens = 300;
    int headHttp = Ports.free();
    int headTcp = Ports.free();
    int backend = Ports.free();
    String sim = JarProcess.javaBin() + " -Xmx128m -jar " + JarProcess.jar() + " llm-sim --port " + backend
        + " --model m --ttft-ms 5 --itl-ms 20 --max-tokens " + tokens;
    try (JarProcess head = JarProcess.start("head", "start", "--mode", "standalone", "--public-addr", "127.0.0.1",
            "--seed", "0", "--port", "" + headHttp, "--tcpport", "" + headTcp, "--management.port", "" + Ports.free(),
            "--datadir", dir.resolve("head").toString());
         JarProcess worker = JarProcess.start("worker", "start", "--bootstrap.addr",
            "/ip4/127.0.0.1/tcp/" + headTcp + "/p2p/" + HEAD_ID, "--public-addr", "127.0.0.1", "--seed", "1",
            "--port", "" + Ports.free(), "--tcpport", "" + Ports.free(), "--management.port", "" + Ports.free(),
            "--datadir", dir.resolve("worker").toString(), "--subprocess", sim, "--service.name", "llm",
            "--service.port", "" + backend)) {
      String base = "http://127.0.0.1:" + headHttp;
      eventually("the worker to serve through the head", Duration.ofSeconds(240), () -> {
        HttpResponse<String> r = Http.post(base + "/v1/service/llm/v1/chat/completions", chat(false));
        assertEquals(200, r.statusCode(), r.body());
      });

      HttpResponse<InputStream> stream = Http.client().send(HttpRequest.newBuilder(
              URI.create(base + "/v1/service/llm/v1/chat/completions")).timeout(Duration.ofSeconds(120))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(chat(true))).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, stream.statusCode());
      List<String> events = new ArrayList<>();
      long started = System.nanoTime();
      boolean terminated = false;
      long term = 0;
      try (BufferedReader in = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (line.startsWith("data: ")) {
            events.add(line);
          }
          if (!terminated && System.nanoTime() - started > 1_500_000_000L) {
            term = System.nanoTime();
            head.terminate(); // SIGTERM, as systemd or Ctrl-C
            terminated = true;
          }
        }
      } catch (java.io.IOException e) {
        throw new AssertionError("the stream broke after " + events.size() + " of " + (tokens + 3) + " events, "
            + (System.nanoTime() - term) / 1_000_000 + " ms after the head's SIGTERM: " + e, e);
      }
      long ended = System.nanoTime();
      assertTrue(terminated, "the stream outlived 1.5 s: " + events.size() + " events");
      assertEquals(tokens + 3, events.size(), "role chunk, every token, finish chunk, [DONE]: " + events);
      assertEquals("data: [DONE]", events.get(events.size() - 1));
      assertTrue(events.stream().noneMatch(e -> e.contains("\"error\"")), "no error event: " + events);

      int code = head.awaitExit(Duration.ofSeconds(60));
      assertEquals(143, code, "exit status after SIGTERM");
      assertTrue(head.output().stream().anyMatch(l -> l.contains("Draining: finishing 1 request(s) in flight")),
          "the head waited for the stream: " + String.join("\n", head.output()));
      JsonNode none = Http.getJsonOrNull(base + "/v1/dnt/table");
      assertFalse(none != null, "the head is gone");
      System.out.println("head drain: SIGTERM " + (term - started) / 1_000_000 + " ms into the stream; the stream"
          + " ended " + (ended - term) / 1_000_000 + " ms after SIGTERM with " + events.size() + " events and [DONE]");
    }
  }

  private static String chat(boolean stream) {
    return "{\"model\":\"m\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}]}";
  }
}
