package org.opentela.identity;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * A node's Ed25519 key pair and the peer id derived from it. Immutable.
 *
 * <p>The private key is fully determined by a 32-byte secret: {@code --seed N} makes that secret
 * {@code sha256("otela-seed:" + N)}; otherwise it is random and kept in a key file.
 */
public final class NodeIdentity {
  private static final String KEY_FILE_PREFIX = "ed25519:";
  /** DER header of an X.509 SubjectPublicKeyInfo for Ed25519; the raw 32-byte key follows. */
  private static final byte[] X509_ED25519_HEADER = {
      0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

  private final KeyPair keyPair;
  private final byte[] publicKey;
  private final String peerId;

  private NodeIdentity(KeyPair keyPair) {
    this.keyPair = keyPair;
    byte[] encoded = keyPair.getPublic().getEncoded();
    this.publicKey = Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
    this.peerId = PeerId.fromPublicKey(publicKey);
  }

  /** The key derived from {@code --seed N}: the same N gives the same peer id on any machine. */
  public static NodeIdentity fromSeed(long seed) {
    return fromSecret(PeerId.sha256(("otela-seed:" + seed).getBytes(StandardCharsets.UTF_8)));
  }

  /** The key whose 32-byte Ed25519 private scalar seed (RFC 8032 "secret key") is {@code secret}. */
  public static NodeIdentity fromSecret(byte[] secret) {
    if (secret.length != 32) {
      throw new IllegalArgumentException("Ed25519 secret: " + secret.length + " bytes (expected: 32)");
    }
    try {
      KeyPairGenerator kpg = KeyPairGenerator.getInstance("Ed25519");
      kpg.initialize(NamedParameterSpec.ED25519, new FixedBytes(secret));
      return new NodeIdentity(kpg.generateKeyPair());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 is required (Java 15+)", e);
    }
  }

  /**
   * Loads the key in {@code keyFile}, creating it (readable by the owner only) with a random secret if
   * it does not exist yet.
   */
  public static NodeIdentity loadOrCreate(Path keyFile) throws IOException {
    return Files.exists(keyFile) ? load(keyFile) : create(keyFile);
  }

  /** Loads the key in {@code keyFile}; {@link java.nio.file.NoSuchFileException} if there is none. */
  public static NodeIdentity load(Path keyFile) throws IOException {
    String text = Files.readString(keyFile, StandardCharsets.US_ASCII).trim();
    if (!text.startsWith(KEY_FILE_PREFIX)) {
      throw new IOException("key file " + keyFile + " is not an otela key (expected a line 'ed25519:<base64>');"
          + " move it away to create a new key");
    }
    byte[] secret;
    try {
      secret = Base64.getDecoder().decode(text.substring(KEY_FILE_PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new IOException("key file " + keyFile + " is corrupt: " + e.getMessage(), e);
    }
    return fromSecret(secret);
  }

  private static NodeIdentity create(Path keyFile) throws IOException {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    Path parent = keyFile.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path tmp = Files.createTempFile(parent, ".identity", ".tmp");
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException ignored) {
      // not a POSIX file system: the file keeps the default permissions
    }
    Files.writeString(tmp, KEY_FILE_PREFIX + Base64.getEncoder().encodeToString(secret) + "\n");
    Files.move(tmp, keyFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return fromSecret(secret);
  }

  public String peerId() {
    return peerId;
  }

  /** The raw 32-byte public key. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** The table's {@code owner}: base64 of the raw public key. */
  public String owner() {
    return Base64.getEncoder().encodeToString(publicKey);
  }

  public byte[] sign(byte[] data) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(keyPair.getPrivate());
      s.update(data);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  /** True if {@code signature} over {@code data} was made by the key whose raw public key is given. */
  public static boolean verify(byte[] rawPublicKey, byte[] data, byte[] signature) {
    if (rawPublicKey == null || rawPublicKey.length != 32 || signature == null) {
      return false;
    }
    try {
      byte[] der = Arrays.copyOf(X509_ED25519_HEADER, X509_ED25519_HEADER.length + 32);
      System.arraycopy(rawPublicKey, 0, der, X509_ED25519_HEADER.length, 32);
      PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(key);
      s.update(data);
      return s.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** A "random" source that yields the given bytes: the JDK's Ed25519 generator draws exactly 32. */
  private static final class FixedBytes extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final byte[] bytes;

    FixedBytes(byte[] bytes) {
      this.bytes = bytes.clone();
    }

    @Override
    public void nextBytes(byte[] out) {
      if (out.length != bytes.length) {
        throw new IllegalStateException("Ed25519 key generation asked for " + out.length + " bytes");
      }
      System.arraycopy(bytes, 0, out, 0, bytes.length);
    }
  }
}
