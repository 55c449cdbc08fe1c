package org.opentela.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.identity.NodeIdentity;
import org.opentela.testing.Http;
import org.opentela.testing.JarProcess;
import org.opentela.testing.NetNs;
import org.opentela.testing.Ports;

/**
 * A worker on its own host (a network namespace) is cut off from the head for longer than the downing
 * timeout, then the link heals: the worker must rejoin by itself and serve again, with the same backend
 * process (vLLM would take minutes to reload).
 */
class PartitionE2ETest {
  private static final String HEAD_IP = "10.77.0.1";
  private static final String WORKER_IP = "10.77.0.2";

  @Test
  void aWorkerCutOffPastTheDowningTimeoutRejoinsWithItsBackendUntouched(@TempDir Path dir) throws Exception {
    String problem = NetNs.problem();
    if (problem != null) {
      System.out.println("SKIPPED partition test: " + problem);
    }
    Assumptions.assumeTrue(problem == null, problem);
    int headHttp = Ports.free();
    int headTcp = Ports.free();
    String headId = NodeIdentity.fromSeed(0).peerId();
    String workerId = NodeIdentity.fromSeed(1).peerId();
    try (NetNs ns = NetNs.create("otela-w" + ProcessHandle.current().pid() % 10000, HEAD_IP, WORKER_IP);
         JarProcess head = JarProcess.start("head", "start", "--mode", "standalone", "--public-addr", HEAD_IP,
             "--seed", "0", "--port", "" + headHttp, "--tcpport", "" + headTcp, "--management.port", "" + Ports.free(),
             "--datadir", dir.resolve("head").toString());
         JarProcess worker = JarProcess.start("worker", ns::exec, "start", "--public-addr", WORKER_IP,
             "--bootstrap.addr", "/ip4/" + HEAD_IP + "/tcp/" + headTcp + "/p2p/" + headId, "--seed", "1",
             "--datadir", dir.resolve("worker").toString(),
             "--subprocess", JarProcess.javaBin() + " -Xmx128m -jar " + JarProcess.jar() + " llm-sim --port 18080"
                 + " --model part/model --ttft-ms 0 --itl-ms 0",
             "--service.name", "llm", "--service.port", "18080", "--service.health_interval", "1s")) {
      String table = "http://127.0.0.1:" + headHttp + "/v1/dnt/table";
      eventually("the worker to serve through the head", Duration.ofSeconds(120), () -> {
        assertServing(table, workerId);
        // The router gets the table a moment after the table page does.
        HttpResponse<String> r = chat(headHttp);
        assertEquals(200, r.statusCode(), r::body);
      });
      Path pgidFile = dir.resolve("worker").resolve(workerId).resolve("subprocess-llm.pgid");
      String backendBefore = backendGroup(pgidFile);

      ns.cut();
      long cut = System.nanoTime();
      worker.awaitLine("starting a fresh member", Duration.ofSeconds(60));
      System.out.println("partition: worker downed itself " + (System.nanoTime() - cut) / 1_000_000 + " ms after the cut");
      // Heal only once both sides have downed the other: the head removed the worker's member (and so
      // pruned its row), and the worker runs a fresh member that has to rejoin.
      eventually("the head to remove the worker", Duration.ofSeconds(60),
          () -> assertNull(Http.getJsonOrNull(table).get("/" + workerId), () -> "the head's table: "
              + Http.getJsonOrNull(table)));
      System.out.println("partition: the head removed the worker " + (System.nanoTime() - cut) / 1_000_000
          + " ms after the cut");

      ns.heal();
      long healed = System.nanoTime();
      eventually("the worker to be back and serving", Duration.ofSeconds(90), () -> assertServing(table, workerId));
      System.out.println("partition: worker serving again " + (System.nanoTime() - healed) / 1_000_000
          + " ms after the link healed");
      List<HttpResponse<String>> answered = new ArrayList<>();
      eventually("a chat through the head to be answered again", Duration.ofSeconds(30), () -> {
        answered.add(0, chat(headHttp));
        assertEquals(200, answered.get(0).statusCode(), answered.get(0)::body);
      });
      assertEquals(workerId, answered.get(0).headers().firstValue("X-Computing-Node").orElseThrow());
      assertEquals(backendBefore, backendGroup(pgidFile), "the backend process group is the same one");
      assertEquals(true, ProcessHandle.of(Long.parseLong(backendBefore.split(" ")[0])).map(ProcessHandle::isAlive)
          .orElse(false), "and it is still running");
    }
  }

  /** "pgid token" of the backend the worker started, from the file it records it in. */
  private static String backendGroup(Path pgidFile) throws java.io.IOException {
    java.util.Properties p = new java.util.Properties();
    try (var r = Files.newBufferedReader(pgidFile)) {
      p.load(r);
    }
    return p.getProperty("pgid") + " " + p.getProperty("token");
  }

  private static void assertServing(String tableUrl, String id) {
    JsonNode t = Http.getJsonOrNull(tableUrl);
    JsonNode row = t == null ? null : t.get("/" + id);
    assertTrue(row != null && row.get("connected").asBoolean() && row.get("service").size() == 1
        && "connected".equals(row.get("service").get(0).get("status").asText()), () -> "the head's table: " + t);
  }

  private static HttpResponse<String> chat(int port) throws Exception {
    return Http.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/v1/service/llm/v1/chat/completions")).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"part/model\",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
  }
}
