package org.opentela.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.opentela.table.TableKeeper;
import ch.qos.logback.classic.Level;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.identity.NodeIdentity;
import org.opentela.testing.InJvmNode;
import org.opentela.testing.LogCapture;

/** Three nodes in one JVM: a standalone head and two workers that bootstrap from it. */
class ClusterTableTest {

  @Test
  void tablesConvergeAndALeavingNodeDisappearsFromTheOthers(@TempDir Path dir) {
    // w1 refreshes its record every second (no pool-wide budget), so that the test sees gossip flow after
    // the pruning.
    try (InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0");
         InJvmNode w1 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "1",
             "--table.refresh-interval", "1s", "--table.refresh-writes-per-second", "0")) {
      InJvmNode w2 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "2");
      String[] all = {head.peerId(), w1.peerId(), w2.peerId()};
      Duration converged = eventually("every node to see all three connected", Duration.ofSeconds(30), () -> {
        head.assertSeesConnected(all);
        w1.assertSeesConnected(all);
        w2.assertSeesConnected(all);
      });
      System.out.println("3-node table converged " + converged.toMillis() + " ms after the last node started");

      JsonNode row = head.table().get("/" + w1.peerId());
      assertEquals(w1.peerId(), row.get("id").asText());
      assertEquals(NodeIdentity.fromSeed(1).owner(), row.get("owner").asText());
      assertEquals("worker", row.get("role").get(0).asText());
      assertTrue(row.get("service").isArray());
      assertTrue(row.get("hardware").get("gpus").isArray());
      assertTrue(row.get("last_seen").asLong() > 1_700_000_000L);
      assertEquals("head", head.table().get("/" + head.peerId()).get("role").get(0).asText());

      w2.close();
      eventually("the leaver to be pruned from the others' tables", Duration.ofSeconds(30), () -> {
        head.assertSeesConnected(head.peerId(), w1.peerId());
        w1.assertSeesConnected(head.peerId(), w1.peerId());
      });
      // Pruning is final: the leaver does not come back through gossip or a later refresh. Wait until a
      // refresh of w1 written after the pruning has reached the head.
      long prunedAt = head.table().get("/" + w1.peerId()).get("last_seen").asLong();
      eventually("a refresh of w1 to reach the head", Duration.ofSeconds(10), () -> assertTrue(
          head.table().get("/" + w1.peerId()).get("last_seen").asLong() > prunedAt, () -> "w1's last_seen at the"
              + " head: " + head.table().get("/" + w1.peerId()).get("last_seen") + ", at the pruning: " + prunedAt));
      head.assertSeesConnected(head.peerId(), w1.peerId());
      w1.assertSeesConnected(head.peerId(), w1.peerId());
    }
  }

  @Test
  void twoNodesOnOneMachineWithoutSeedsNeedOnlyDistinctPorts(@TempDir Path dir) throws Exception {
    // The same --datadir (the default ~/.otela in real life), no --seed: each keeps its own random key.
    String shared = dir.resolve("otela").toString();
    String workerId;
    Path workerKey;
    try (InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--datadir", shared);
         InJvmNode worker = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--datadir", shared)) {
      assertTrue(!head.peerId().equals(worker.peerId()), "distinct identities");
      eventually("both to be connected", Duration.ofSeconds(30),
          () -> head.assertSeesConnected(head.peerId(), worker.peerId()));
      workerId = worker.peerId();
      workerKey = dir.resolve("otela/identity-" + worker.tcpPort + ".key");
    }
    assertEquals(workerId, NodeIdentity.loadOrCreate(workerKey).peerId(), "the same command finds the same key");
  }

  @Test
  void aWorkerGivenTheWrongPeerIdRefusesToJoinAndExitsNonZero(@TempDir Path dir) {
    try (InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0")) {
      String wrongId = NodeIdentity.fromSeed(99).peerId();
      String typo = head.multiaddr().replace(head.peerId(), wrongId);
      InJvmNode worker = InJvmNode.start(dir, "--bootstrap.addr", typo, "--seed", "1");
      assertEquals(1, worker.awaitExit(Duration.ofSeconds(30)));
      head.assertSeesConnected(head.peerId());
    }
  }

  @Test
  void aNodeWithTheSamePeerIdAsALiveMemberIsRefusedWithAnErrorOnBothSides(@TempDir Path dir) {
    try (LogCapture logs = new LogCapture();
         InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0");
         InJvmNode w1 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "1")) {
      eventually("w1 to join", Duration.ofSeconds(30), () -> head.assertSeesConnected(head.peerId(), w1.peerId()));
      InJvmNode twin = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "1");
      assertEquals(1, twin.awaitExit(Duration.ofSeconds(30)), "the twin exits non-zero");
      assertTrue(head.seesConnected(head.peerId(), w1.peerId()), "the original keeps its place");
      // At least once: a slow answer makes the joiner ask again, and each ask is refused (and logged).
      assertFalse(logs.find(Level.WARN, "Refused a node at", w1.peerId(), "already a live member").isEmpty(),
          "the head says whom it refused and why");
      assertEquals(1, logs.find(Level.ERROR, "refused this node", "already a live member").size(),
          "the twin says why it exits");
    }
  }

  @Test
  void aNodeOfAnotherVersionIsRefusedWithAMessageOnBothSides(@TempDir Path dir) throws Exception {
    try (LogCapture logs = new LogCapture();
         InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0")) {
      // A joining node's bootstrapper that announces otela 99.0.0, in a cluster system of its own.
      ActorTestKit other = ActorTestKit.create("otela", ConfigFactory.parseString(
          "pekko.remote.artery.canonical.hostname = 127.0.0.1\npekko.remote.artery.canonical.port = 0\n"
              + "pekko.remote.artery.bind.port = \"\"\npekko.management.http.port = 0")
          .withFallback(ConfigFactory.load()));
      try {
        TestProbe<Bootstrapper.Verdict> verdicts = other.createTestProbe();
        other.spawn(Bootstrapper.create(new Bootstrapper.Plan(NodeIdentity.fromSeed(5), "99.0.0", false,
            List.of(Multiaddr.parse(head.multiaddr())), Duration.ofSeconds(1)),
            other.createTestProbe(TableKeeper.Command.class).ref(), verdicts.ref()));
        String message = verdicts.expectMessageClass(Bootstrapper.Fatal.class, Duration.ofSeconds(30)).message();
        assertTrue(message.contains("refused this node") && message.contains("99.0.0")
            && message.contains("same major.minor"), message);
        assertFalse(logs.find(Level.WARN, "Refused a node at", NodeIdentity.fromSeed(5).peerId(), "99.0.0").isEmpty(),
            "the head says whom it refused and why");
        assertTrue(head.seesConnected(head.peerId()), "the head's pool is unchanged");
      } finally {
        other.shutdownTestKit();
      }
    }
  }
}
