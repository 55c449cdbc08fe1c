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
          Eventually.eventually("the head routes to the worker", Duration.ofSeconds(30), () -> {
            var r = org.opentela.testing.Http.post(head.url("/v1/service/llm/v1/chat/completions"),
                "{\"model\":\"m\",\"stream\":true,\"messages\":[]}");
            assertEquals(200, r.statusCode(), r::body);
            assertTrue(r.body().contains("t4 ") && r.body().contains("[DONE]"), r::body);
          });
        }
        // /v1/p2p/ reaches the worker's read-only status, but no write, no further hop, no dot segment.
        String p2p = "/v1/p2p/" + worker.peerId();
        assertEquals(200, org.opentela.testing.Http.get(head.url(p2p + "/v1/dnt/table")).statusCode());
        for (String refused : new String[] {p2p + "/v1/p2p/" + head.peerId() + "/v1/health",
            p2p + "/v1/_service/llm/../../v1/health", p2p + "/admin"}) {
          var r = org.opentela.testing.Http.get(head.url(refused));
          assertEquals(403, r.statusCode(), refused);
          assertTrue(r.body().contains("\"code\":\"p2p_path_not_allowed\"") && r.body().contains("/v1/_service/"),
              r::body);
        }
        var write = org.opentela.testing.Http.post(head.url(p2p + "/v1/dnt/table"), "{}");
        assertEquals(403, write.statusCode(), write::body);
      }
    }
  }

  @Test
  void aRevokedWorkerIsDownedAndStopsItself(@TempDir Path dir) throws Exception {
    try (InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "0", "--pool.secure")) {
      PoolDir pool = head.context.trust().poolDir().get();
      try (InJvmNode worker = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "3",
          "--join-token", pool.token().toString(), "--bootstrap.api-port", "" + head.httpPort)) {
        Eventually.eventually("the head to see the worker", Duration.ofSeconds(60),
            () -> head.assertSeesConnected(head.peerId(), worker.peerId()));
        assertTrue(pool.revoke(worker.peerId()));
        assertEquals(1, worker.awaitExit(Duration.ofSeconds(60)), "the revoked worker stops with status 1");
        Eventually.eventually("the worker out of the head's table", Duration.ofSeconds(60),
            () -> head.assertSeesConnected(head.peerId()));
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
      Eventually.eventually("both see both", Duration.ofSeconds(60), () -> {
        head.assertSeesConnected(head.peerId(), worker.peerId());
        worker.assertSeesConnected(head.peerId(), worker.peerId());
      });
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
