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
        assertEquals(worker.peerId(), Certificates.peerId(worker.context.trust().tls().get().readCert()));
        assertEquals("tls-tcp", worker.system().settings().config().getString("pekko.remote.artery.transport"));
      }
    }
  }
}
