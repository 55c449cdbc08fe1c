package org.opentela.trust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import org.opentela.identity.PeerId;

/**
 * A head's pool directory ({@code <datadir>/pool}): the CA ({@link PoolCa}), the current join token
 * ({@code join-token}, or {@code --pool.token-file}) and the revoked peer ids ({@code revoked}, one per
 * line). The CLI ({@code otela token ...}, {@code otela nodes revoke}) edits these files; the running head
 * reads them again when they change, so no admin endpoint is opened on the network for them.
 */
public record PoolDir(Path dir, Path tokenFile) {

  public static PoolDir of(Path dataDir, String tokenFile) {
    Path dir = dataDir.resolve("pool");
    return new PoolDir(dir, tokenFile.isEmpty() ? dir.resolve("join-token") : Path.of(tokenFile));
  }

  public Path revokedFile() {
    return dir.resolve("revoked");
  }

  public boolean exists() {
    return Files.exists(dir.resolve("ca.crt"));
  }

  /** The current token, creating the first one for {@code ca} if there is none yet. */
  public JoinToken tokenOrCreate(PoolCa ca) throws IOException {
    if (Files.exists(tokenFile)) {
      return token();
    }
    return rotate(ca);
  }

  /** The current token, as the file holds it now. */
  public JoinToken token() throws IOException {
    try {
      return JoinToken.parse(Files.readString(tokenFile, StandardCharsets.US_ASCII));
    } catch (NoSuchFileException e) {
      throw new IOException("no join token at " + tokenFile + " (start the head with --pool.secure first)", e);
    } catch (IllegalArgumentException e) {
      throw new IOException(tokenFile + ": " + e.getMessage() + "; 'otela token rotate' writes a new one", e);
    }
  }

  /** Replaces the token with a new one: new joins need it; admitted nodes keep their certificates. */
  public JoinToken rotate(PoolCa ca) throws IOException {
    JoinToken t = JoinToken.generate(ca.hash());
    Pem.write(tokenFile, t + "\n", true);
    return t;
  }

  /** The revoked peer ids, in the order they were revoked. */
  public Set<String> revoked() throws IOException {
    Set<String> out = new LinkedHashSet<>();
    if (Files.exists(revokedFile())) {
      for (String line : Files.readAllLines(revokedFile(), StandardCharsets.US_ASCII)) {
        String id = line.trim();
        if (!id.isEmpty() && !id.startsWith("#")) {
          out.add(id);
        }
      }
    }
    return out;
  }

  /** Adds {@code peerId} to the revoked file; false if it was already there. */
  public boolean revoke(String peerId) throws IOException {
    String problem = PeerId.problem(peerId);
    if (problem != null) {
      throw new IllegalArgumentException("'" + peerId + "': " + problem);
    }
    Set<String> ids = revoked();
    if (!ids.add(peerId)) {
      return false;
    }
    Pem.write(revokedFile(), String.join("\n", ids) + "\n", false);
    return true;
  }
}
