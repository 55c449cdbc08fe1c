package org.opentela.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.testing.Eventually;
import org.opentela.testing.InJvmNode;

/** Closed pools in one JVM: a head with --pool.secure and nodes that enrol with its token. */
class ClosedPoolTest {

  @Test
  void aWorkerWithTheTokenEnrolsJoinsOverTlsAndBothTablesAgree(@TempDir Path dir) throws Exception {
    try (InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0", "--pool.secure")) {
      String token = head.context.trust().poolDir().get().token().toString();
      try (InJvmNode worker = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "1",
          "--join-token", token, "--bootstrap.api-port", "" + head.httpPort)) {
        Eventually.eventually("both see both", Duration.ofSeconds(60), () -> {
          head.assertSeesConnected(head.peerId(), worker.peerId());
          worker.assertSeesConnected(head.peerId(), worker.peerId());
        });
        assertTrue(worker.context.trust().closed());
        assertEquals("signed", head.table().get("/" + worker.peerId()).get("record").asText());
        assertEquals(worker.peerId(), Certificates.peerId(worker.context.trust().tls().get().readCert()));
        assertEquals("tls-tcp", worker.system().settings().config().getString("pekko.remote.artery.transport"));
        // A streamed answer crosses as a stream ref, under untrusted mode.
        try (org.opentela.testing.FakeOpenAi backend = org.opentela.testing.FakeOpenAi.start("b", "m").streaming(5, 20)) {
          worker.publish("llm", backend.port, "model=m");
          Await.until("the head routes to the worker", Duration.ofSeconds(30), () -> {
            try {
              var r = org.opentela.testing.Http.post(head.url("/v1/service/llm/v1/chat/completions"),
                  "{\"model\":\"m\",\"stream\":true,\"messages\":[]}");
              return r.statusCode() == 200 && r.body().contains("t4 ") && r.body().contains("[DONE]");
            } catch (Exception e) {
              return false;
            }
          });
        }
      }
    }
  }

  @Test
  void nodesWithCertificatesFromTheirOwnPkiJoinWithTlsDir(@TempDir Path dir) throws Exception {
    // One company CA: each node's certificate names its peer id and shares the pool's DNS name.
    PoolCa company = PoolCa.loadOrCreate(dir.resolve("company-ca"));
    Path headTls = issue(company, dir.resolve("head-tls"), 0);
    Path workerTls = issue(company, dir.resolve("worker-tls"), 1);
    try (InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0", "--tls.dir", headTls.toString());
         InJvmNode worker = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "1",
             "--tls.dir", workerTls.toString())) {
      Await.until("both see both", Duration.ofSeconds(60),
          () -> head.seesConnected(head.peerId(), worker.peerId()) && worker.seesConnected(head.peerId(), worker.peerId()));
      assertTrue(head.context.trust().closed() && head.context.trust().enroller().isEmpty());
      assertEquals("signed", head.table().get("/" + worker.peerId()).get("record").asText());
    }
  }

  private static Path issue(PoolCa ca, Path dir, long seed) throws Exception {
    java.security.KeyPair key = Certificates.newNodeKey();
    TlsFiles f = TlsFiles.in(dir);
    Pem.write(f.key(), Pem.encode(key.getPrivate()), true);
    Pem.write(f.cert(), Pem.encode(ca.issue(key.getPublic(), org.opentela.identity.NodeIdentity.fromSeed(seed).peerId(),
        Duration.ofHours(1))), false);
    Pem.write(f.ca(), Pem.encode(ca.certificate()), false);
    return dir;
  }
}
