package org.opentela.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.identity.NodeIdentity;
import org.opentela.table.NodeRecord;
import org.opentela.table.RecordSeal;
import org.opentela.table.SignedRecord;

/** Records signed by their owner open; records forged or altered by anyone else do not. */
class RecordSealsTest {
  private static NodeRecord record(NodeIdentity id, String address) {
    return new NodeRecord(id.peerId(), id.owner(), List.of("worker"), "", List.of(), 1, "0.1.0", "127.0.0.1", null,
        null, address, 7, 8092);
  }

  @Test
  void openPoolRecordsAreCheckedAgainstThePeerIdsKey() {
    NodeIdentity a = NodeIdentity.fromSecret(new byte[32]);
    NodeIdentity b = NodeIdentity.fromSeed(99);
    RecordSeal sealA = RecordSeals.byNodeKey(a);
    RecordSeal sealB = RecordSeals.byNodeKey(b);
    SignedRecord good = sealA.seal(record(a, "pekko://otela@10.0.0.1:1"));
    assertEquals(a.peerId(), sealB.open(a.peerId(), good).record().id());

    // b writes a record for a's peer id (with a's owner field): its signature is b's.
    assertNotNull(sealB.open(a.peerId(), sealB.seal(record(a, "pekko://otela@10.6.6.6:1"))).rejection());
    // b's own, honest record stored under a's peer id.
    assertNotNull(sealA.open(a.peerId(), sealB.seal(record(b, "x"))).rejection());
    // a's record with one byte changed.
    byte[] altered = good.record().clone();
    altered[altered.length - 3] ^= 1;
    assertNotNull(sealB.open(a.peerId(), new SignedRecord(altered, good.signature(), null)).rejection());
  }

  @Test
  void closedPoolRecordsNeedACertificateOfThePoolNamingThePeerId(@TempDir Path dir) throws Exception {
    PoolCa ca = PoolCa.loadOrCreate(dir.resolve("ca"));
    PoolCa other = PoolCa.loadOrCreate(dir.resolve("other"));
    NodeIdentity a = NodeIdentity.fromSeed(1);
    NodeIdentity b = NodeIdentity.fromSeed(2);
    KeyPair ka = Certificates.newNodeKey();
    KeyPair kb = Certificates.newNodeKey();
    X509Certificate ca1 = ca.certificate();
    RecordSeal sealA = RecordSeals.byCertificate(ka.getPrivate(), ca.issue(ka.getPublic(), a.peerId(), Duration.ofHours(1)), ca1);
    RecordSeal sealB = RecordSeals.byCertificate(kb.getPrivate(), ca.issue(kb.getPublic(), b.peerId(), Duration.ofHours(1)), ca1);

    SignedRecord good = sealA.seal(record(a, "pekko://otela@10.0.0.1:1"));
    assertNull(sealB.open(a.peerId(), good).rejection());
    assertTrue(sealB.open(a.peerId(), sealB.seal(record(a, "evil"))).rejection().contains("certificate of peer"));
    // The seeded (public) node key of a proves nothing in a closed pool.
    assertTrue(sealB.open(a.peerId(), RecordSeals.byNodeKey(a).seal(record(a, "evil"))).rejection()
        .contains("no pool certificate"));
    // A certificate for a's peer id from another CA.
    KeyPair kr = Certificates.newNodeKey();
    RecordSeal rogue = RecordSeals.byCertificate(kr.getPrivate(), other.issue(kr.getPublic(), a.peerId(),
        Duration.ofHours(1)), other.certificate());
    assertTrue(sealB.open(a.peerId(), rogue.seal(record(a, "evil"))).rejection().contains("CA"));
  }
}
