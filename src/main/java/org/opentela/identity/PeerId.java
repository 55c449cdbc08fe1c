package org.opentela.identity;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/** Peer ids: derivation from an Ed25519 public key, and validation of user-typed ids. */
public final class PeerId {
  /** libp2p PublicKey protobuf: field 1 (KeyType) = 1 (Ed25519), field 2 (Data) = 32 bytes. */
  private static final byte[] ED25519_PROTOBUF_PREFIX = {0x08, 0x01, 0x12, 0x20};
  /** Multihash header: sha2-256 (0x12), 32-byte digest (0x20). */
  private static final byte[] SHA256_MULTIHASH_PREFIX = {0x12, 0x20};

  private PeerId() {}

  /** {@code Qm…}: base58btc(multihash(sha2-256, protobuf(publicKey))). 46 characters. */
  public static String fromPublicKey(byte[] rawEd25519PublicKey) {
    if (rawEd25519PublicKey.length != 32) {
      throw new IllegalArgumentException("Ed25519 public key: " + rawEd25519PublicKey.length
          + " bytes (expected: 32)");
    }
    byte[] proto = new byte[ED25519_PROTOBUF_PREFIX.length + 32];
    System.arraycopy(ED25519_PROTOBUF_PREFIX, 0, proto, 0, ED25519_PROTOBUF_PREFIX.length);
    System.arraycopy(rawEd25519PublicKey, 0, proto, ED25519_PROTOBUF_PREFIX.length, 32);
    byte[] digest = sha256(proto);
    byte[] multihash = new byte[SHA256_MULTIHASH_PREFIX.length + digest.length];
    System.arraycopy(SHA256_MULTIHASH_PREFIX, 0, multihash, 0, SHA256_MULTIHASH_PREFIX.length);
    System.arraycopy(digest, 0, multihash, SHA256_MULTIHASH_PREFIX.length, digest.length);
    return Base58.encode(multihash);
  }

  /**
   * Checks that {@code id} is a well-formed sha2-256 peer id; returns a reason it is not, or null.
   */
  public static String problem(String id) {
    if (id == null || id.isEmpty()) {
      return "empty peer id";
    }
    byte[] bytes;
    try {
      bytes = Base58.decode(id);
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    if (bytes.length != 34 || !Arrays.equals(Arrays.copyOf(bytes, 2), SHA256_MULTIHASH_PREFIX)) {
      return "not a sha2-256 peer id (expected: 46 characters starting with Qm)";
    }
    return null;
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
