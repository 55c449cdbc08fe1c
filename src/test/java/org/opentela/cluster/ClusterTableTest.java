package org.opentela.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.identity.NodeIdentity;
import org.opentela.testing.Await;
import org.opentela.testing.InJvmNode;

/** Three nodes in one JVM: a standalone head and two workers that bootstrap from it. */
class ClusterTableTest {

  @Test
  void tablesConvergeAndALeavingNodeDisappearsFromTheOthers(@TempDir Path dir) {
    try (InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0");
         InJvmNode w1 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "1")) {
      InJvmNode w2 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "2");
      String[] all = {head.peerId(), w1.peerId(), w2.peerId()};
      Duration converged = Await.until("every node sees all three connected", Duration.ofSeconds(30),
          () -> head.seesConnected(all) && w1.seesConnected(all) && w2.seesConnected(all));
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
      Await.until("the leaver is pruned from the others' tables", Duration.ofSeconds(30),
          () -> head.seesConnected(head.peerId(), w1.peerId()) && w1.seesConnected(head.peerId(), w1.peerId()));
      // Pruning is final: the leaver does not come back through gossip or a later refresh.
      Await.until("a refresh later", Duration.ofSeconds(3), () -> {
        try {
          Thread.sleep(1500);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return true;
      });
      assertTrue(head.seesConnected(head.peerId(), w1.peerId()));
      assertTrue(w1.seesConnected(head.peerId(), w1.peerId()));
    }
  }

  @Test
  void aWorkerGivenTheWrongPeerIdRefusesToJoinAndExitsNonZero(@TempDir Path dir) {
    try (InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0")) {
      String wrongId = NodeIdentity.fromSeed(99).peerId();
      String typo = head.multiaddr().replace(head.peerId(), wrongId);
      InJvmNode worker = InJvmNode.start(dir, "--bootstrap.addr", typo, "--seed", "1");
      assertEquals(1, worker.awaitExit(Duration.ofSeconds(30)));
      Await.until("the head still sees only itself", Duration.ofSeconds(5), () -> head.seesConnected(head.peerId()));
    }
  }

  @Test
  void aNodeWithTheSamePeerIdAsALiveMemberIsRefused(@TempDir Path dir) {
    try (InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0");
         InJvmNode w1 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "1")) {
      Await.until("w1 joined", Duration.ofSeconds(30), () -> head.seesConnected(head.peerId(), w1.peerId()));
      InJvmNode twin = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "1");
      assertEquals(1, twin.awaitExit(Duration.ofSeconds(30)), "the twin exits non-zero");
      assertTrue(head.seesConnected(head.peerId(), w1.peerId()), "the original keeps its place");
    }
  }
}
