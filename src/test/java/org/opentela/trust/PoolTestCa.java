package org.opentela.trust;

import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import org.opentela.identity.NodeIdentity;

/** Test PKI: a CA of someone else's and a node certificate from it, as a rogue would bring with --tls.dir. */
public final class PoolTestCa {
  private PoolTestCa() {}

  /** Writes tls.key, tls.crt and ca.crt of a CA that is not the pool's, for the node with {@code --seed seed}. */
  public static Path foreignTlsDir(Path dir, long seed) throws IOException {
    PoolCa ca = PoolCa.loadOrCreate(dir.resolve("ca"));
    KeyPair key = Certificates.newNodeKey();
    try {
      TlsFiles f = TlsFiles.in(dir);
      Pem.write(f.key(), Pem.encode(key.getPrivate()), true);
      Pem.write(f.cert(), Pem.encode(ca.issue(key.getPublic(), NodeIdentity.fromSeed(seed).peerId(),
          Duration.ofHours(1))), false);
      Pem.write(f.ca(), Pem.encode(ca.certificate()), false);
      return dir;
    } catch (PoolCa.Refused e) {
      throw new IOException(e);
    }
  }
}
