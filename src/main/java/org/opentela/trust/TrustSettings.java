package org.opentela.trust;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.opentela.config.ConfigReader;
import org.opentela.config.UsageException;

/**
 * How a node is admitted: {@code --pool.secure} (a head holding the pool CA), {@code --join-token} /
 * {@code --join-token-file} / {@code OTELA_JOIN_TOKEN} (a node that enrols), {@code --tls.dir} (your own
 * PKI), or none of them (an open pool, as in the tutorial).
 *
 * @param joinToken the token text as given, checked for form here so a typo fails at start
 */
public record TrustSettings(
    boolean secure,
    Duration certLifetime,
    String tokenFile,
    Optional<JoinToken> joinToken,
    Optional<Path> tlsDir,
    int bootstrapApiPort) {

  public static final String TOKEN_ENV = "OTELA_JOIN_TOKEN";

  public static TrustSettings fromConfig(Config config, boolean head) {
    return fromConfig(config, head, System.getenv(TOKEN_ENV));
  }

  static TrustSettings fromConfig(Config config, boolean head, String tokenFromEnv) {
    ConfigReader r = new ConfigReader(config);
    boolean secure = r.bool("otela.pool.secure");
    Duration lifetime = r.duration("otela.pool.cert-lifetime");
    if (lifetime.compareTo(Duration.ofSeconds(10)) < 0) {
      throw UsageException.badValue("otela.pool.cert-lifetime", lifetime, "at least 10s (default 24h)");
    }
    String tlsDir = r.string("otela.tls.dir");
    Optional<JoinToken> token = token(r, tokenFromEnv);
    if (secure && !head) {
      throw new UsageException("--pool.secure: only a head holds the pool CA (add --mode standalone or --role head);"
          + " a worker joins a closed pool with --join-token");
    }
    if (!tlsDir.isEmpty() && (secure || token.isPresent())) {
      throw new UsageException("--tls.dir: brings this node's certificate from your own PKI; it cannot be combined"
          + " with --pool.secure or a join token, which use the pool's own CA");
    }
    if (secure && token.isPresent()) {
      throw new UsageException("--join-token: this head holds the pool CA itself (--pool.secure) and needs no token");
    }
    Optional<Path> dir = Optional.empty();
    if (!tlsDir.isEmpty()) {
      Path d = ConfigReader.expandHome(tlsDir);
      TlsFiles f = TlsFiles.in(d);
      if (!f.complete()) {
        throw UsageException.badValue("otela.tls.dir", tlsDir, "a directory with tls.key, tls.crt and ca.crt");
      }
      dir = Optional.of(d);
    }
    return new TrustSettings(secure, lifetime, r.string("otela.pool.token-file"), token, dir,
        r.port("otela.bootstrap.api-port"));
  }

  private static Optional<JoinToken> token(ConfigReader r, String fromEnv) {
    String text = r.string("otela.join-token");
    String source = "--join-token";
    String file = r.string("otela.join-token-file");
    if (text.isEmpty() && !file.isEmpty()) {
      try {
        text = Files.readString(ConfigReader.expandHome(file)).trim();
        source = "--join-token-file " + file;
      } catch (java.io.IOException e) {
        throw UsageException.badValue("otela.join-token-file", file, "a readable file holding the join token ("
            + e.getMessage() + ")");
      }
    }
    if (text.isEmpty() && fromEnv != null && !fromEnv.isBlank()) {
      text = fromEnv.trim();
      source = TOKEN_ENV;
    }
    if (text.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(JoinToken.parse(text));
    } catch (IllegalArgumentException e) {
      throw new UsageException(source + ": " + e.getMessage());
    }
  }

  /** True if the cluster transport runs TLS: this pool is closed. */
  public boolean closed() {
    return secure || joinToken.isPresent() || tlsDir.isPresent();
  }
}
