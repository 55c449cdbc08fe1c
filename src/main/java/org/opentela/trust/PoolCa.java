package org.opentela.trust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;

/**
 * The pool's certificate authority, kept in the head's pool directory ({@code <datadir>/pool}): created
 * once by the first start with {@code --pool.secure}, read on every later start.
 *
 * <p>Files: {@code ca.key} (owner-only), {@code ca.crt}, and {@code issued/<peer id>}, the hash of the key
 * each peer id was first certified for. A peer id is certified for one key only (trust on first use): a
 * holder of the join token cannot take over the peer id of a node that already enrolled, the head's
 * seeded one included, unless that node is revoked first.
 */
public final class PoolCa {
  private static final Duration CA_LIFETIME = Duration.ofDays(3650);

  private final Path dir;
  private final X509Certificate certificate;
  private final PrivateKey key;
  private final byte[] hash;

  private PoolCa(Path dir, X509Certificate certificate, PrivateKey key) {
    this.dir = dir;
    this.certificate = certificate;
    this.key = key;
    this.hash = Certificates.publicKeyHash(certificate);
  }

  /** Reads the CA in {@code dir}, creating it first if there is none; {@code created} tells which. */
  public static PoolCa loadOrCreate(Path dir) throws IOException {
    Path keyFile = dir.resolve("ca.key");
    Path certFile = dir.resolve("ca.crt");
    if (Files.exists(keyFile) && Files.exists(certFile)) {
      return new PoolCa(dir, Pem.readCertificate(certFile), Pem.readPrivateKey(keyFile));
    }
    if (Files.exists(keyFile) || Files.exists(certFile)) {
      throw new IOException("the pool directory " + dir + " has only one of ca.key and ca.crt; restore the other"
          + " from a backup, or move the directory away to create a new pool CA (every node must then join again)");
    }
    KeyPair pair = Certificates.newCaKey();
    byte[] id = new byte[8];
    new java.security.SecureRandom().nextBytes(id);
    String name = "otela pool CA " + java.util.HexFormat.of().formatHex(id);
    X509Certificate cert = Certificates.selfSignedCa(pair, name, CA_LIFETIME);
    Pem.write(keyFile, Pem.encode(pair.getPrivate()), true);
    Pem.write(certFile, Pem.encode(cert), false);
    return new PoolCa(dir, cert, pair.getPrivate());
  }

  /** Reads the CA in {@code dir}; it must exist. */
  public static PoolCa load(Path dir) throws IOException {
    if (!Files.exists(dir.resolve("ca.crt"))) {
      throw new IOException("no pool CA in " + dir + " (start the head with --pool.secure first)");
    }
    return loadOrCreate(dir);
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** SHA-256 of the CA's public key: the pin a join token carries. */
  public byte[] hash() {
    return hash.clone();
  }

  /**
   * Certifies {@code key} for {@code peerId} for {@code lifetime}. Refuses a peer id already certified for
   * another key.
   */
  public synchronized X509Certificate issue(PublicKey key, String peerId, Duration lifetime) throws Refused, IOException {
    Objects.requireNonNull(peerId, "peerId");
    Path ledger = dir.resolve("issued").resolve(peerId);
    String keyHash = Base64.getEncoder().encodeToString(Certificates.sha256(key.getEncoded()));
    if (Files.exists(ledger)) {
      String known = Files.readString(ledger, StandardCharsets.US_ASCII).trim();
      if (!known.equals(keyHash)) {
        throw new Refused("peer id " + peerId + " is already enrolled with another key");
      }
    } else {
      Pem.write(ledger, keyHash + "\n", false);
    }
    return Certificates.issue(certificate, this.key, key, peerId, lifetime);
  }

  /** An enrolment or renewal the CA will not grant: the peer id is already certified for another key. */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    public Refused(String message) {
      super(message);
    }
  }
}
