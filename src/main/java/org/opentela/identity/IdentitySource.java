package org.opentela.identity;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.opentela.config.ConfigReader;
import org.opentela.config.UsageException;

/**
 * Where a node's key comes from: {@code --seed N}, or else a key file, {@code --key-file} or the default
 * one in {@code --datadir} for {@code --tcpport}. The one place that decides it: {@code otela start} and
 * {@code otela peer-id} both read their flags through {@link #fromConfig}, so they name the same key.
 *
 * @param seed    the seed of a derived key; empty for a random key kept in {@code keyFile}
 * @param keyFile where a random key is kept (unused with a seed)
 */
public record IdentitySource(OptionalLong seed, Path keyFile) {

  /** The cluster port a node uses when --tcpport is not given (reference.conf's default). */
  public static final int DEFAULT_TCP_PORT = 43905;

  public IdentitySource {
    requireNonNull(seed, "seed");
    requireNonNull(keyFile, "keyFile");
  }

  /** Reads {@code otela.seed}, {@code otela.key-file}, {@code otela.datadir} and {@code otela.tcpport}. */
  public static IdentitySource fromConfig(Config config) {
    ConfigReader r = new ConfigReader(config);
    int tcpPort = r.port("otela.tcpport");
    Path dataDir = r.path("otela.datadir");
    String keyFile = r.string("otela.key-file");
    return resolve(seed(r.string("otela.seed")), keyFile, dataDir, tcpPort);
  }

  /**
   * The source for these flag values: {@code keyFile} "" means the default key file, {@code identity.key}
   * in {@code dataDir} for the default {@code tcpPort}, else {@code identity-<tcpPort>.key}. Two nodes on
   * one machine already need distinct --tcpport values, so they get distinct identities without a --seed
   * or --datadir of their own, and each finds its own key again when started with the same command.
   */
  public static IdentitySource resolve(OptionalLong seed, String keyFile, Path dataDir, int tcpPort) {
    Path file = keyFile.isEmpty()
        ? dataDir.resolve(tcpPort == DEFAULT_TCP_PORT ? "identity.key" : "identity-" + tcpPort + ".key")
        : ConfigReader.expandHome(keyFile);
    return new IdentitySource(seed, file);
  }

  /** {@code --seed}: "" for a random persisted key, else an integer. */
  static OptionalLong seed(String value) {
    if (value.isEmpty()) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(value));
    } catch (NumberFormatException e) {
      throw UsageException.badValue("otela.seed", value, "an integer, e.g. --seed 0");
    }
  }

  /** The node's key: derived from the seed, or read from the key file, which is created if missing. */
  public NodeIdentity loadOrCreate() throws IOException {
    return seed.isPresent() ? NodeIdentity.fromSeed(seed.getAsLong()) : NodeIdentity.loadOrCreate(keyFile);
  }

  /**
   * The node's key without creating one: derived from the seed, or read from the key file.
   *
   * @throws MissingKeyException if there is no seed and the key file does not exist
   */
  public NodeIdentity load() throws IOException {
    if (seed.isPresent()) {
      return NodeIdentity.fromSeed(seed.getAsLong());
    }
    try {
      return NodeIdentity.load(keyFile);
    } catch (NoSuchFileException e) {
      throw new MissingKeyException(keyFile);
    }
  }

  /** No key file where one was expected; nothing was created. */
  public static final class MissingKeyException extends IOException {
    private static final long serialVersionUID = 1L;

    MissingKeyException(Path keyFile) {
      super("no key file at " + keyFile);
    }
  }
}
