package org.opentela.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.ApiError;
import org.opentela.identity.NodeIdentity;

/** The head's checks on enrolments and renewals, as an attacker would probe them. */
class EnrollerTest {
  private static final Base64.Encoder B64 = Base64.getEncoder();

  private static Enroller.EnrolRequest request(JoinToken token, NodeIdentity id, KeyPair key) {
    String csr = B64.encodeToString(Certificates.request(key, id.peerId()));
    String transcript = Enroller.enrolTranscript(token.id(), id.peerId(), csr);
    return new Enroller.EnrolRequest(token.id(), id.peerId(), B64.encodeToString(id.publicKey()), csr,
        B64.encodeToString(token.proof(transcript)), B64.encodeToString(id.sign(transcript.getBytes(StandardCharsets.UTF_8))));
  }

  private static Enroller enroller(Path dir) throws Exception {
    PoolDir pool = PoolDir.of(dir, "");
    PoolCa ca = PoolCa.loadOrCreate(pool.dir());
    pool.tokenOrCreate(ca);
    return new Enroller(ca, pool, Duration.ofHours(1));
  }

  @Test
  void aWorkerWithTheTokenGetsACertificateNamingItsPeerId(@TempDir Path dir) throws Exception {
    Enroller e = enroller(dir);
    NodeIdentity worker = NodeIdentity.fromSeed(1);
    KeyPair key = Certificates.newNodeKey();
    Enroller.Issued issued = e.enrol(request(PoolDir.of(dir, "").token(), worker, key));
    X509Certificate cert = Pem.certificate(issued.certificate());
    assertEquals(worker.peerId(), Certificates.peerId(cert));
    assertTrue(Certificates.signedBy(cert, e.ca().certificate()));
    assertArrayEquals(key.getPublic().getEncoded(), cert.getPublicKey().getEncoded());
    assertTrue(cert.getNotAfter().getTime() - System.currentTimeMillis() <= Duration.ofHours(1).toMillis());
  }

  @Test
  void aWrongTokenARotatedTokenAndAStolenProofAreRefused(@TempDir Path dir) throws Exception {
    Enroller e = enroller(dir);
    PoolDir pool = PoolDir.of(dir, "");
    JoinToken good = pool.token();
    NodeIdentity worker = NodeIdentity.fromSeed(1);
    KeyPair key = Certificates.newNodeKey();

    JoinToken guessed = new JoinToken(good.id(), new byte[32], good.caHash());
    Enroller.Refusal wrong = assertThrows(Enroller.Refusal.class, () -> e.enrol(request(guessed, worker, key)));
    assertEquals(ApiError.JOIN_TOKEN_REJECTED, wrong.problem.error());

    // A proof seen on the wire, replayed for the attacker's own key: the proof covers the request.
    Enroller.EnrolRequest seen = request(good, worker, key);
    KeyPair attacker = Certificates.newNodeKey();
    Enroller.EnrolRequest replayed = new Enroller.EnrolRequest(seen.tokenId(), seen.peerId(), seen.identityKey(),
        B64.encodeToString(Certificates.request(attacker, worker.peerId())), seen.proof(),
        seen.identitySignature());
    assertEquals(ApiError.JOIN_TOKEN_REJECTED, assertThrows(Enroller.Refusal.class, () -> e.enrol(replayed)).problem.error());

    pool.rotate(e.ca());
    Enroller.Refusal rotated = assertThrows(Enroller.Refusal.class, () -> e.enrol(request(good, worker, key)));
    assertEquals(ApiError.JOIN_TOKEN_ROTATED, rotated.problem.error());
    assertEquals(403, rotated.problem.error().status());
    e.enrol(request(pool.token(), worker, key));
  }

  @Test
  void aTokenHolderCannotTakeOverAnEnrolledPeerIdNorARevokedOne(@TempDir Path dir) throws Exception {
    Enroller e = enroller(dir);
    PoolDir pool = PoolDir.of(dir, "");
    NodeIdentity head = NodeIdentity.fromSeed(0); // a seeded key: anyone can compute it
    e.enrol(request(pool.token(), head, Certificates.newNodeKey()));
    Enroller.Refusal taken = assertThrows(Enroller.Refusal.class,
        () -> e.enrol(request(pool.token(), head, Certificates.newNodeKey())));
    assertEquals(409, taken.problem.error().status());
    assertEquals(ApiError.PEER_ID_TAKEN, taken.problem.error());

    NodeIdentity worker = NodeIdentity.fromSeed(5);
    KeyPair key = Certificates.newNodeKey();
    e.enrol(request(pool.token(), worker, key));
    assertTrue(pool.revoke(worker.peerId()));
    assertEquals(ApiError.PEER_REVOKED,
        assertThrows(Enroller.Refusal.class, () -> e.enrol(request(pool.token(), worker, key))).problem.error());
  }

  @Test
  void renewalNeedsTheCurrentCertificatesKeyNotTheToken(@TempDir Path dir) throws Exception {
    Enroller e = enroller(dir);
    PoolDir pool = PoolDir.of(dir, "");
    NodeIdentity worker = NodeIdentity.fromSeed(1);
    KeyPair key = Certificates.newNodeKey();
    X509Certificate first = Pem.certificate(e.enrol(request(pool.token(), worker, key)).certificate());
    pool.rotate(e.ca()); // admitted nodes keep working after a rotation
    String csr = B64.encodeToString(Certificates.request(key, worker.peerId()));
    byte[] sig = Certificates.sign(key.getPrivate(), Enroller.renewTranscript(worker.peerId(), csr)
        .getBytes(StandardCharsets.UTF_8));
    X509Certificate renewed = Pem.certificate(e.renew(new Enroller.RenewRequest(worker.peerId(),
        B64.encodeToString(first.getEncoded()), csr, B64.encodeToString(sig))).certificate());
    assertNotEquals(first.getSerialNumber(), renewed.getSerialNumber());

    // Signed by another key than the certificate's: refused.
    KeyPair other = Certificates.newNodeKey();
    byte[] badSig = Certificates.sign(other.getPrivate(), Enroller.renewTranscript(worker.peerId(), csr)
        .getBytes(StandardCharsets.UTF_8));
    assertEquals(ApiError.CERTIFICATE_REJECTED, assertThrows(Enroller.Refusal.class, () -> e.renew(
        new Enroller.RenewRequest(worker.peerId(), B64.encodeToString(first.getEncoded()), csr,
            B64.encodeToString(badSig)))).problem.error());

    // A certificate of another pool's CA: refused.
    Path elsewhere = dir.resolve("other");
    Enroller foreign = enroller(elsewhere);
    X509Certificate alien = Pem.certificate(foreign.enrol(request(PoolDir.of(elsewhere, "").token(), worker, key))
        .certificate());
    assertEquals(ApiError.CERTIFICATE_REJECTED, assertThrows(Enroller.Refusal.class, () -> e.renew(
        new Enroller.RenewRequest(worker.peerId(), B64.encodeToString(alien.getEncoded()), csr,
            B64.encodeToString(sig)))).problem.error());
  }

  @Test
  void garbageGetsA400NotACrash(@TempDir Path dir) throws Exception {
    Enroller e = enroller(dir);
    assertEquals(400, assertThrows(Enroller.Refusal.class, () -> e.enrol(new Enroller.EnrolRequest("x", "nope",
        "", "", "", ""))).problem.error().status());
    String token = PoolDir.of(dir, "").token().id();
    NodeIdentity worker = NodeIdentity.fromSeed(1);
    // Without a valid proof, the request's content is never parsed.
    assertEquals(403, assertThrows(Enroller.Refusal.class, () -> e.enrol(new Enroller.EnrolRequest(token,
        worker.peerId(), "AAAA", "bm90IGEgY3Ny", "AAAA", "AAAA"))).problem.error().status());
    assertEquals(400, assertThrows(Enroller.Refusal.class, () -> e.renew(new Enroller.RenewRequest(worker.peerId(),
        "!!!", "AAAA", "AAAA"))).problem.error().status());
  }

  @Test
  void tokensRoundTripAndDamagedOnesSayWhat() {
    JoinToken t = JoinToken.generate(new byte[32]);
    JoinToken back = JoinToken.parse(t.toString());
    assertEquals(t.id(), back.id());
    assertArrayEquals(t.secret(), back.secret());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> JoinToken.parse("hello")).getMessage()
        .contains("otela token show"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> JoinToken.parse(t.toString().substring(0, t.toString().length() - 3))).getMessage().contains("damaged"));
  }
}
