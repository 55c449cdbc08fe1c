package org.opentela.subprocess;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.Properties;
import org.opentela.PrivateFiles;

/**
 * What a node records about the backend it started, in {@code <node dir>/subprocess-<name>.pgid}, so
 * that the next start can find and stop a backend the previous run left behind (when the JVM was
 * killed with SIGKILL, say). {@code token} is a random value put into the backend's environment, which
 * every descendant inherits: a process with that token is ours, whatever has happened to pids since.
 */
record PgidFile(long pgid, String token, String command) {

  /** The environment variable that marks the processes of one backend start. */
  static final String TOKEN_ENV = "OTELA_BACKEND_TOKEN";

  static Path path(Path nodeDir, String serviceName) {
    return nodeDir.resolve("subprocess-" + serviceName + ".pgid");
  }

  /** The record at {@code file}, or empty if there is none or it cannot be read. */
  static Optional<PgidFile> read(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    try {
      long pgid = Long.parseLong(p.getProperty("pgid", ""));
      String token = p.getProperty("token", "");
      return pgid > 1 && !token.isEmpty()
          ? Optional.of(new PgidFile(pgid, token, p.getProperty("command", "")))
          : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Writes this record to {@code file}, replacing it whole (a reader never sees half a file). */
  void write(Path file) throws IOException {
    Properties p = new Properties();
    p.setProperty("pgid", Long.toString(pgid));
    p.setProperty("token", token);
    p.setProperty("command", command);
    PrivateFiles.directory(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    // 0600: the command line may carry a token (--api-key, HF_TOKEN=...).
    PrivateFiles.newFile(tmp);
    try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      p.store(w, "The backend process group otela started; the next start stops it if it is still running.");
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
