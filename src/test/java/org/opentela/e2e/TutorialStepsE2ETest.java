package org.opentela.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.testing.Http;
import org.opentela.testing.JarProcess;
import org.opentela.testing.Ports;

/** Tutorial steps 1 and 2 with the real jar as two processes, as a user runs them. */
class TutorialStepsE2ETest {
  private static final List<String> TUTORIAL_FIELDS = List.of("id", "latency", "privileged", "owner",
      "current_offering", "role", "status", "available_offering", "service", "last_seen", "version",
      "public_address", "hardware", "connected", "load");

  @Test
  void headAndWorkerShareOneTable(@TempDir Path dir) throws Exception {
    int headHttp = Ports.free();
    int headTcp = Ports.free();
    try (JarProcess head = JarProcess.start("head", "start", "--mode", "standalone", "--public-addr", "127.0.0.1",
        "--seed", "0", "--port", "" + headHttp, "--tcpport", "" + headTcp, "--management.port", "" + Ports.free(),
        "--datadir", dir.resolve("head").toString())) {
      String headId = head.awaitLine("Peer ID: (Qm\\w+)", Duration.ofSeconds(60));
      String bootstrap = head.awaitLine("Workers join with: --bootstrap.addr (\\S+)", Duration.ofSeconds(60));
      assertEquals("/ip4/127.0.0.1/tcp/" + headTcp + "/p2p/" + headId, bootstrap);

      // Step 1: only the head, connected.
      JsonNode alone = Http.getJsonOrNull("http://127.0.0.1:" + headHttp + "/v1/dnt/table");
      assertEquals(1, alone.size());
      JsonNode headRow = alone.get("/" + headId);
      assertEquals(TUTORIAL_FIELDS, fieldNames(headRow).subList(0, TUTORIAL_FIELDS.size()));
      assertTrue(headRow.get("connected").asBoolean());
      assertEquals("127.0.0.1", headRow.get("public_address").asText());
      assertTrue(headRow.get("service").isArray() && headRow.get("service").isEmpty());
      assertTrue(headRow.get("hardware").get("gpus").isArray());
      assertTrue(headRow.get("load").isNull());
      assertEquals("{\"status\":\"ok\"}", Http.get("http://127.0.0.1:" + headHttp + "/v1/health").body());

      // Step 2 (without --subprocess): the worker bootstraps from the multiaddr the head printed.
      int workerHttp = Ports.free();
      try (JarProcess worker = JarProcess.start("worker", "start", "--bootstrap.addr", bootstrap, "--seed", "1",
          "--port", "" + workerHttp, "--tcpport", "" + Ports.free(), "--management.port", "" + Ports.free(),
          "--datadir", dir.resolve("worker").toString())) {
        String workerId = worker.awaitLine("Peer ID: (Qm\\w+)", Duration.ofSeconds(60));
        eventually("both nodes to be connected in the head's table", Duration.ofSeconds(60), () -> {
          JsonNode t = Http.getJsonOrNull("http://127.0.0.1:" + headHttp + "/v1/dnt/table");
          assertTrue(t != null && t.size() == 2 && t.get("/" + workerId) != null && t.get("/" + workerId)
              .get("connected").asBoolean() && t.get("/" + headId).get("connected").asBoolean(), () -> "its table: " + t);
        });
        JsonNode row = Http.getJsonOrNull("http://127.0.0.1:" + headHttp + "/v1/dnt/table").get("/" + workerId);
        assertEquals(TUTORIAL_FIELDS, fieldNames(row).subList(0, TUTORIAL_FIELDS.size()));
        assertEquals("worker", row.get("role").get(0).asText());
        // The worker's own table agrees.
        eventually("the worker to see both", Duration.ofSeconds(10), () -> {
          JsonNode t = Http.getJsonOrNull("http://127.0.0.1:" + workerHttp + "/v1/dnt/table");
          assertEquals(2, t == null ? 0 : t.size(), () -> "its table: " + t);
        });
        JsonNode peers = Http.getJsonOrNull("http://127.0.0.1:" + headHttp + "/v1/dnt/peers").get("peers");
        assertEquals(2, peers.size());
      }
    }
  }

  @Test
  void aWorkerStartedBeforeItsHeadWaitsSaysForWhomAndJoinsOnceTheHeadIsUp(@TempDir Path dir) throws Exception {
    int headHttp = Ports.free();
    int headTcp = Ports.free();
    String headAddr = "/ip4/127.0.0.1/tcp/" + headTcp + "/p2p/QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE";
    try (JarProcess worker = JarProcess.start("early-worker", "start", "--bootstrap.addr", headAddr, "--seed", "1",
        "--port", "" + Ports.free(), "--tcpport", "" + Ports.free(), "--management.port", "" + Ports.free(),
        "--datadir", dir.resolve("worker").toString())) {
      String waiting = worker.awaitLine("(Waiting for bootstrap peer \\S+)", Duration.ofSeconds(60));
      assertTrue(waiting.contains(headAddr), waiting);
      try (JarProcess head = JarProcess.start("late-head", "start", "--mode", "standalone", "--public-addr",
          "127.0.0.1", "--seed", "0", "--port", "" + headHttp, "--tcpport", "" + headTcp,
          "--management.port", "" + Ports.free(), "--datadir", dir.resolve("head").toString())) {
        String workerId = worker.awaitLine("Peer ID: (Qm\\w+)", Duration.ofSeconds(10));
        eventually("the worker to join the late head", Duration.ofSeconds(60), () -> {
          JsonNode t = Http.getJsonOrNull("http://127.0.0.1:" + headHttp + "/v1/dnt/table");
          assertTrue(t != null && t.has("/" + workerId) && t.get("/" + workerId).get("connected").asBoolean(),
              () -> "the head's table: " + t);
        });
        assertTrue(worker.process().isAlive());
      }
    }
  }

  @Test
  void badCommandLinesExitWithCodeTwoAndSayWhy(@TempDir Path dir) throws Exception {
    try (JarProcess p = JarProcess.start("bad-flag", "start", "--prot", "8092")) {
      assertEquals(2, p.awaitExit(Duration.ofSeconds(30)));
      assertTrue(p.output().stream().anyMatch(l -> l.contains("--prot: unknown flag")), p.output().toString());
    }
    try (JarProcess p = JarProcess.start("bad-addr", "start", "--bootstrap.addr", "/ip4/1.2.3.4/tcp/43905",
        "--datadir", dir.toString())) {
      assertEquals(2, p.awaitExit(Duration.ofSeconds(30)));
      assertTrue(p.output().stream().anyMatch(l -> l.contains("--bootstrap.addr: '/ip4/1.2.3.4/tcp/43905'")));
    }
    try (JarProcess p = JarProcess.start("help", "start", "--help")) {
      assertEquals(0, p.awaitExit(Duration.ofSeconds(30)));
      assertTrue(p.output().stream().anyMatch(l -> l.contains("--bootstrap.addr")));
    }
    try (JarProcess p = JarProcess.start("peer-id", "peer-id", "--seed", "0")) {
      assertEquals(0, p.awaitExit(Duration.ofSeconds(30)));
      assertEquals(List.of("QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE"), p.output());
    }
  }

  @Test
  void dashDArgumentsAfterTheJarConfigureTheNode(@TempDir Path dir) throws Exception {
    int http = Ports.free();
    try (JarProcess head = JarProcess.start("design-card-head", "-Dotela.role=head", "-Dotela.port=" + http,
        "-Dotela.tcpport=" + Ports.free(), "-Dotela.management.port=" + Ports.free(),
        "-Dotela.public-addr=127.0.0.1", "-Dotela.datadir=" + dir)) {
      head.awaitLine("Workers join with", Duration.ofSeconds(60));
      JsonNode t = Http.getJsonOrNull("http://127.0.0.1:" + http + "/v1/dnt/table");
      assertEquals("head", t.elements().next().get("role").get(0).asText());
    }
  }

  private static List<String> fieldNames(JsonNode n) {
    List<String> names = new java.util.ArrayList<>();
    n.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
