package org.opentela.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.testing.Eventually;
import org.opentela.testing.FakeOpenAi;
import org.opentela.testing.Http;
import org.opentela.testing.InJvmNode;
import org.opentela.trust.RecordSeals;

/**
 * An admitted but compromised node of a closed pool writes a record under an honest worker's peer id that
 * sends that worker's requests to itself. Every reader rejects it: requests keep going to the honest
 * worker, and the table shows the rejection.
 */
class ForgedRecordTest {

  @Test
  void anAdmittedNodeCannotRedirectAnotherNodesRequests(@TempDir Path dir) throws Exception {
    try (FakeOpenAi honest = FakeOpenAi.start("honest", "m");
         FakeOpenAi rogue = FakeOpenAi.start("rogue", "other");
         InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0", "--pool.secure")) {
      String token = head.context.trust().poolDir().get().token().toString();
      try (InJvmNode worker = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "1",
               "--join-token", token, "--bootstrap.api-port", "" + head.httpPort);
           InJvmNode attacker = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "2",
               "--join-token", token, "--bootstrap.api-port", "" + head.httpPort)) {
        worker.publish("llm", honest.port, "model=m");
        attacker.publish("llm", rogue.port, "model=other");
        Eventually.eventually("the head sees all three", Duration.ofSeconds(60),
            () -> head.assertSeesConnected(head.peerId(), worker.peerId(), attacker.peerId()));
        Eventually.eventually("the head routes model m", Duration.ofSeconds(30), () -> {
          HttpResponse<String> r = chat(head);
          assertEquals(200, r.statusCode(), r::body);
        });

        // The attacker copies the worker's record, points it at its own member, and signs it with its own
        // (valid, pool-issued) certificate: the only key it has.
        NodeRecord real = tableOf(worker).get(worker.peerId());
        var self = Cluster.get(attacker.system()).selfMember().uniqueAddress();
        NodeRecord forged = real.toBuilder().lastSeen(real.lastSeen() + 1)
            .clusterAddress(self.address().toString()).clusterUid(self.longUid()).build();
        var files = attacker.context.trust().tls().get();
        SignedRecord sealed = RecordSeals.byCertificate(files.readKey(), files.readCert(), files.readCa()).seal(forged);
        write(attacker, forged.id(), sealed);

        Eventually.eventually("the head shows the rejection", Duration.ofSeconds(30), () -> {
          JsonNode row = head.table().get("/" + worker.peerId());
          assertTrue(row.get("record").asText().contains("rejected"), row::toString);
        });
        JsonNode row = head.table().get("/" + worker.peerId());
        assertTrue(row.get("cluster_address").asText().endsWith(":" + worker.tcpPort), row.toString());

        int before = rogue.requests.size();
        for (int i = 0; i < 20; i++) {
          HttpResponse<String> r = chat(head);
          assertEquals(200, r.statusCode(), r.body());
          assertTrue(r.body().contains("hello from honest"), r.body());
        }
        assertEquals(before, rogue.requests.size(), "the rogue backend got none of the worker's requests");
      }
    }
  }

  private static NodeTable tableOf(InJvmNode n) throws Exception {
    return AskPattern.<TableKeeper.Command, NodeTable>ask(n.keeper(), TableKeeper.GetTable::new,
        Duration.ofSeconds(5), n.system().scheduler()).toCompletableFuture().get();
  }

  private static void write(InJvmNode n, String peerId, SignedRecord sealed) throws Exception {
    ActorRef<Replicator.Command> replicator = DistributedData.get(n.system()).replicator();
    SelfUniqueAddress me = DistributedData.get(n.system()).selfUniqueAddress();
    AskPattern.<Replicator.Command, Replicator.UpdateResponse<LWWMap<String, SignedRecord>>>ask(replicator,
        replyTo -> new Replicator.Update<>(TableKeeper.KEY, LWWMap.empty(),
            new Replicator.WriteAll(Duration.ofSeconds(3)), replyTo, map -> map.put(me, peerId, sealed)),
        Duration.ofSeconds(5), n.system().scheduler()).toCompletableFuture().get();
  }

  private static HttpResponse<String> chat(InJvmNode head) {
    try {
      return Http.post(head.url("/v1/service/llm/v1/chat/completions"),
          "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"secret prompt\"}]}");
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }
}
