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
}
