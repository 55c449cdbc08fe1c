package org.opentela.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.testing.InJvmNode;
import org.opentela.testing.LogCapture;

/**
 * A head that remembers a pool whose nodes are all gone starts fresh after the seed nodes' short wait,
 * saying so once (issue 13, item 8: a head started with --seed 0 "remembered" an earlier pool, with a
 * stale row that stayed until prune-after).
 */
class StaleTableTest {
  @Test
  void aHeadWhoseRememberedNodesAreGoneStartsWithAFreshTable(@TempDir Path dir) {
    String headDir = dir.resolve("head").toString();
    String workerId;
    InJvmNode worker;
    try (InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0", "--datadir", headDir)) {
      worker = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "1");
      workerId = worker.peerId();
      eventually("the head to see the worker", Duration.ofSeconds(30),
          () -> head.assertSeesConnected(head.peerId(), workerId));
    } // the head stops first: the worker's row stays in its durable table
    worker.close();

    long start = System.nanoTime();
    try (LogCapture logs = new LogCapture();
         InJvmNode again = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0", "--datadir", headDir)) {
      eventually("the restarted head to be Up", Duration.ofSeconds(25), () -> assertEquals(1,
          logs.find(ch.qos.logback.classic.Level.INFO, "Joined the cluster").size()));
      eventually("the restarted head to show only itself", Duration.ofSeconds(25), () -> {
        JsonNode table = again.table();
        List<String> rows = new ArrayList<>();
        table.fieldNames().forEachRemaining(rows::add);
        assertEquals(List.of("/" + again.peerId()), rows, table::toString);
      });
      long seconds = (System.nanoTime() - start) / 1_000_000_000L;
      // prune-after is 30 s: the earlier run's row is gone well before.
      assertTrue(seconds < 25, seconds + " s");
      assertEquals(1, logs.find(ch.qos.logback.classic.Level.INFO, "starting a fresh pool").size(), "said once");
      System.out.println("restarted head alone: table fresh " + seconds + " s after start");
    }
  }
}
