package org.opentela.cluster;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.opentela.Version;
import org.opentela.identity.NodeIdentity;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.testing.Records;

class PeerIdentityTest {
  private final NodeIdentity head = NodeIdentity.fromSeed(0);
  private final String worker = NodeIdentity.fromSeed(1).peerId();

  private static PeerIdentity.Hello hello(String id, String version, String address) {
    return new PeerIdentity.Hello(id, version, address, new byte[16], null);
  }

  private NodeTable tableWithWorkerAt(String address, boolean connected) {
    NodeRecord r = Records.worker(worker).version(Version.CURRENT).clusterAddress(address).clusterUid(7).apiPort(8092)
        .build();
    return new NodeTable(1, head.peerId(), Map.of(worker, r), connected ? Set.of(worker) : Set.of());
  }

  @Test
  void welcomesANewPeerOfTheSameVersion() {
    assertNull(PeerIdentity.refusal(head, NodeTable.empty(head.peerId()), hello(worker, Version.CURRENT, "pekko://otela@b:1")));
  }

  @Test
  void refusesAnotherProtocolVersionSayingWhatToInstall() {
    String r = PeerIdentity.refusal(head, NodeTable.empty(head.peerId()), hello(worker, "99.1.0", "pekko://otela@b:1"));
    assertTrue(r.contains("99.1.0") && r.contains("same major.minor"), r);
  }

  @Test
  void refusesAPeerIdThatIsLiveElsewhereButNotARestartAtTheSameAddress() {
    String r = PeerIdentity.refusal(head, tableWithWorkerAt("pekko://otela@a:1", true),
        hello(worker, Version.CURRENT, "pekko://otela@b:1"));
    assertTrue(r.contains("already a live member at pekko://otela@a:1"), r);
    assertNull(PeerIdentity.refusal(head, tableWithWorkerAt("pekko://otela@b:1", true),
        hello(worker, Version.CURRENT, "pekko://otela@b:1")), "the same node restarting");
    assertNull(PeerIdentity.refusal(head, tableWithWorkerAt("pekko://otela@a:1", false),
        hello(worker, Version.CURRENT, "pekko://otela@b:1")), "the old one is gone");
  }

  @Test
  void refusesTheHeadsOwnPeerId() {
    assertTrue(PeerIdentity.refusal(head, NodeTable.empty(head.peerId()),
        hello(head.peerId(), Version.CURRENT, "pekko://otela@b:1")).contains("same peer id"));
  }
}
