package org.opentela.trust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/**
 * The three PEM files of a node in a closed pool, named as cert-manager and Kubernetes TLS secrets name
 * them: {@code tls.key}, {@code tls.crt} (the node certificate) and {@code ca.crt} (the pool CA).
 */
public record TlsFiles(Path key, Path cert, Path ca) {
  public static TlsFiles in(Path dir) {
    return new TlsFiles(dir.resolve("tls.key"), dir.resolve("tls.crt"), dir.resolve("ca.crt"));
  }

  public boolean complete() {
    return Files.isRegularFile(key) && Files.isRegularFile(cert) && Files.isRegularFile(ca);
  }

  public X509Certificate readCert() throws IOException {
    return Pem.readCertificate(cert);
  }

  public X509Certificate readCa() throws IOException {
    return Pem.readCertificate(ca);
  }

  public PrivateKey readKey() throws IOException {
    return Pem.readPrivateKey(key);
  }

  /**
   * The key pair of {@link #key()}: the private key as stored, the public key derived from it (an RSA key,
   * what Pekko's TLS engine reads).
   */
  public java.security.KeyPair readKeyPair() throws IOException {
    PrivateKey k = readKey();
    if (k instanceof java.security.interfaces.RSAPrivateCrtKey rsa) {
      try {
        return new java.security.KeyPair(java.security.KeyFactory.getInstance("RSA").generatePublic(
            new java.security.spec.RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent())), k);
      } catch (java.security.GeneralSecurityException e) {
        throw new IOException(key() + ": " + e.getMessage(), e);
      }
    }
    throw new IOException(key() + ": not an RSA key (move it away to make a new one)");
  }
}
