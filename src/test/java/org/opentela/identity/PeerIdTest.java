package org.opentela.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerIdTest {

  /** RFC 8032 §7.1, TEST 1: secret key and the public key it must give. */
  private static final String RFC8032_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  private static final String RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

  @Test
  void secretGivesTheRfc8032PublicKey() {
    NodeIdentity id = NodeIdentity.fromSecret(HexFormat.of().parseHex(RFC8032_SECRET));
    assertEquals(RFC8032_PUBLIC, HexFormat.of().formatHex(id.publicKey()));
    assertEquals(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(RFC8032_PUBLIC)), id.owner());
  }

  @Test
  void peerIdIsBase58OfSha256MultihashOfProtobufKey() throws Exception {
    NodeIdentity id = NodeIdentity.fromSecret(HexFormat.of().parseHex(RFC8032_SECRET));
    assertEquals(independentPeerId(HexFormat.of().parseHex(RFC8032_PUBLIC)), id.peerId());
    assertEquals(46, id.peerId().length());
    assertTrue(id.peerId().startsWith("Qm"));
  }

  @Test
  void fixedSeedGivesTheSameIdOnEveryMachine() throws Exception {
    NodeIdentity zero = NodeIdentity.fromSeed(0);
    // The secret is sha256("otela-seed:0"); the id follows from the public key alone.
    byte[] secret = MessageDigest.getInstance("SHA-256").digest("otela-seed:0".getBytes(StandardCharsets.UTF_8));
    assertEquals(NodeIdentity.fromSecret(secret).peerId(), zero.peerId());
    assertEquals(independentPeerId(zero.publicKey()), zero.peerId());
    // Pinned: a change here would break every deployed --bootstrap.addr that names seed 0's head.
    assertEquals("QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE", zero.peerId());
    assertEquals("QmPwyYxYADy98cfUzhWmBTL6nkMbyk9au3rBwxQcAoCvDL", NodeIdentity.fromSeed(1).peerId());
    assertNotEquals(zero.peerId(), NodeIdentity.fromSeed(2).peerId());
  }

  @Test
  void keyFileIsCreatedOnceOwnerOnlyAndReused(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("sub/identity.key");
    NodeIdentity first = NodeIdentity.loadOrCreate(file);
    NodeIdentity second = NodeIdentity.loadOrCreate(file);
    assertEquals(first.peerId(), second.peerId());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertNotEquals(first.peerId(), NodeIdentity.loadOrCreate(dir.resolve("other.key")).peerId());
  }

  @Test
  void corruptKeyFileIsRefusedWithAMessage(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("identity.key");
    Files.writeString(file, "not a key");
    IOException e = assertThrows(IOException.class, () -> NodeIdentity.loadOrCreate(file));
    assertTrue(e.getMessage().contains("is not an otela key"), e.getMessage());
  }

  @Test
  void signaturesVerifyOnlyForTheSignerAndTheData() {
    NodeIdentity a = NodeIdentity.fromSeed(7);
    byte[] data = "nonce".getBytes(StandardCharsets.UTF_8);
    byte[] sig = a.sign(data);
    assertTrue(NodeIdentity.verify(a.publicKey(), data, sig));
    assertFalse(NodeIdentity.verify(NodeIdentity.fromSeed(8).publicKey(), data, sig));
    assertFalse(NodeIdentity.verify(a.publicKey(), "other".getBytes(StandardCharsets.UTF_8), sig));
  }

  @Test
  void base58RoundTripsAndKeepsLeadingZeros() {
    byte[] bytes = {0, 0, 1, 2, (byte) 255, 17};
    assertArrayEquals(bytes, Base58.decode(Base58.encode(bytes)));
    assertEquals("11", Base58.encode(new byte[] {0, 0}));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Base58.decode("Qm0"));
    assertTrue(e.getMessage().contains("'0'"));
  }

  @Test
  void peerIdProblemsAreExplained() {
    assertNull(PeerId.problem(NodeIdentity.fromSeed(3).peerId()));
    assertNotNull(PeerId.problem(""));
    assertNotNull(PeerId.problem("QmShort"));
    assertNotNull(PeerId.problem("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"));
    assertTrue(PeerId.problem("QmIlI0OOO").contains("invalid base58 character"));
  }

  /** base58btc(0x12 0x20 sha256(0x08 0x01 0x12 0x20 pk)), written without the production code's helpers. */
  private static String independentPeerId(byte[] publicKey) throws Exception {
    byte[] proto = new byte[36];
    proto[0] = 0x08;
    proto[1] = 0x01;
    proto[2] = 0x12;
    proto[3] = 0x20;
    System.arraycopy(publicKey, 0, proto, 4, 32);
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(proto);
    byte[] mh = new byte[34];
    mh[0] = 0x12;
    mh[1] = 0x20;
    System.arraycopy(digest, 0, mh, 2, 32);
    String alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    BigInteger n = new BigInteger(1, mh);
    StringBuilder sb = new StringBuilder();
    BigInteger base = BigInteger.valueOf(58);
    while (n.signum() > 0) {
      BigInteger[] qr = n.divideAndRemainder(base);
      sb.append(alphabet.charAt(qr[1].intValue()));
      n = qr[0];
    }
    return sb.reverse().toString(); // mh[0] is 0x12, never a leading zero byte
  }
}
