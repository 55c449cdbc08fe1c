package org.opentela.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.testing.JarProcess;
import org.opentela.testing.Ports;

/**
 * {@code otela peer-id} answers "which peer id will this node have?": given the flags of an
 * {@code otela start} command line, it prints the id that {@code start} logs, and creates no key.
 */
class PeerIdE2ETest {

  @Test
  void peerIdWithStartsFlagsPrintsTheIdThatStartLogs(@TempDir Path dir) throws Exception {
    // Every node here needs its own --tcpport; only the last one has neither --seed nor --key-file, so its
    // key is the data dir's identity-<tcpport>.key.
    List<List<String>> identityFlags = List.of(
        List.of("--seed", "7"),
        List.of("--key-file", dir.resolve("keys/worker.key").toString()),
        List.of());
    List<List<String>> startFlags = new ArrayList<>();
    List<JarProcess> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < identityFlags.size(); i++) {
        List<String> flags = new ArrayList<>(List.of("--mode", "standalone", "--public-addr", "127.0.0.1",
            "--port", "" + Ports.free(), "--tcpport", "" + Ports.free(), "--management.port", "" + Ports.free(),
            "--datadir", dir.resolve("data" + i).toString()));
        flags.addAll(identityFlags.get(i));
        startFlags.add(flags);
        nodes.add(JarProcess.start("start-" + i, args("start", flags)));
      }
      List<String> logged = new ArrayList<>();
      for (JarProcess node : nodes) {
        logged.add(node.awaitLine("Peer ID: (Qm\\w+)", Duration.ofSeconds(60)));
        node.kill();
      }
      List<JarProcess> peerIds = new ArrayList<>();
      for (int i = 0; i < nodes.size(); i++) {
        peerIds.add(JarProcess.start("peer-id-" + i, args("peer-id", startFlags.get(i))));
      }
      for (int i = 0; i < peerIds.size(); i++) {
        try (JarProcess peerId = peerIds.get(i)) {
          assertEquals(0, peerId.awaitExit(Duration.ofSeconds(30)), peerId.output().toString());
          assertEquals(List.of(logged.get(i)), peerId.output(), "peer-id with " + identityFlags.get(i));
        }
      }
    } finally {
      for (JarProcess n : nodes) {
        n.kill();
      }
    }
  }

  @Test
  void peerIdCreatesNoKeyUnlessAsked(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    try (JarProcess p = JarProcess.start("peer-id-missing", "peer-id", "--datadir", data.toString())) {
      assertEquals(1, p.awaitExit(Duration.ofSeconds(30)));
      assertTrue(p.output().stream().anyMatch(l -> l.contains("no key file at " + data.resolve("identity.key"))
          && l.contains("--create")), p.output().toString());
    }
    assertFalse(Files.exists(data.resolve("identity.key")), "peer-id created a key");
    String created;
    try (JarProcess p = JarProcess.start("peer-id-create", "peer-id", "--datadir", data.toString(), "--create")) {
      assertEquals(0, p.awaitExit(Duration.ofSeconds(30)), p.output().toString());
      created = p.output().stream().filter(l -> l.matches("Qm\\w+")).findFirst().orElseThrow();
    }
    assertTrue(Files.exists(data.resolve("identity.key")));
    try (JarProcess p = JarProcess.start("peer-id-again", "peer-id", "--datadir", data.toString())) {
      assertEquals(0, p.awaitExit(Duration.ofSeconds(30)));
      assertEquals(List.of(created), p.output(), "the created key is the one read next time");
    }
  }

  private static String[] args(String command, List<String> flags) {
    List<String> all = new ArrayList<>(List.of(command));
    all.addAll(flags);
    return all.toArray(String[]::new);
  }
}
