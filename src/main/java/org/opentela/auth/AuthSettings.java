package org.opentela.auth;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.opentela.config.ConfigReader;
import org.opentela.config.UsageException;

/**
 * API keys on a node ({@code --auth.*}): on when the node has an admin key, from {@code --auth.admin_key_file}
 * or the environment variable {@value #ENV} (never a flag: a command line is visible to every user of the
 * machine in {@code ps}). Only the key's SHA-256 is kept.
 *
 * @param adminKeyDigest SHA-256 of the admin key; null when auth is off
 * @param adminKeySource where the admin key came from, for the start-up log
 */
public record AuthSettings(byte[] adminKeyDigest, String adminKeySource, ClientPaths clientPaths,
    int maxFailuresPerMinute, Duration syncInterval, Duration usageFlushInterval) {
  public static final String ENV = "OTELA_ADMIN_KEY";
  /** The shortest admin key accepted. */
  public static final int MIN_ADMIN_KEY = 16;

  public static final AuthSettings OFF = new AuthSettings(null, "", new ClientPaths(ClientPaths.DEFAULT, Map.of()),
      0, Duration.ofMillis(100), Duration.ofSeconds(1));

  public boolean enabled() {
    return adminKeyDigest != null;
  }

  public static AuthSettings fromConfig(Config config, Map<String, String> env) {
    ConfigReader r = new ConfigReader(config);
    String file = r.string("otela.auth.admin_key_file");
    String key = null;
    String source = "";
    if (!file.isEmpty()) {
      key = readKeyFile(file, "--auth.admin_key_file");
      source = "--auth.admin_key_file " + file;
    } else if (env.get(ENV) != null && !env.get(ENV).isBlank()) {
      key = env.get(ENV).trim();
      source = "the environment variable " + ENV;
      checkLength(key, ENV);
    }
    Map<String, List<String>> perService = new HashMap<>();
    if (config.hasPath("otela.auth.service_paths")) {
      for (Map.Entry<String, ConfigValue> e : config.getConfig("otela.auth.service_paths").root().entrySet()) {
        perService.put(e.getKey(), r.list("otela.auth.service_paths.\"" + e.getKey() + "\""));
      }
    }
    ClientPaths paths;
    try {
      paths = new ClientPaths(r.list("otela.auth.client_paths"), perService);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--auth.client_paths: " + e.getMessage());
    }
    return new AuthSettings(key == null ? null : KeySecrets.digest(key), source, paths,
        r.intInRange("otela.auth.max_failures_per_minute", 0, 1_000_000), r.duration("otela.auth.sync_interval"),
        r.duration("otela.auth.usage_flush_interval"));
  }

  /**
   * The admin key a command line tool sends: the first line of {@code file} when one is given, else the
   * environment variable {@value #ENV} (trimmed); empty when neither is set.
   */
  public static String adminKeyOf(String file, Map<String, String> env) {
    if (!file.isEmpty()) {
      return readKeyFile(file, "--admin_key_file");
    }
    String fromEnv = env.get(ENV);
    return fromEnv == null ? "" : fromEnv.trim();
  }

  /** The first line of {@code file}, trimmed: an admin key. {@code flag} names where it was given, for errors. */
  public static String readKeyFile(String file, String flag) {
    String key;
    try {
      key = Files.readString(Path.of(file), StandardCharsets.UTF_8).lines().findFirst().orElse("").trim();
    } catch (IOException | RuntimeException e) {
      throw new UsageException(flag + ": cannot read '" + file + "' (" + e.getMessage() + "; expected: a file whose"
          + " first line is the admin key, e.g. made with: openssl rand -hex 32 > " + file + ")");
    }
    checkLength(key, flag + " " + file);
    return key;
  }

  private static void checkLength(String key, String where) {
    if (key.startsWith(KeySecrets.PREFIX)) {
      throw new UsageException(where + ": the admin key starts with " + KeySecrets.PREFIX + ", like an API key"
          + " (expected: a secret of your own, e.g. made with: openssl rand -hex 32)");
    }
    if (key.length() < MIN_ADMIN_KEY) {
      throw new UsageException(where + ": the admin key has " + key.length() + " characters (expected: at least "
          + MIN_ADMIN_KEY + "; make one with: openssl rand -hex 32)");
    }
  }

  @Override
  public String toString() {
    return "AuthSettings[enabled=" + enabled() + ", source=" + adminKeySource + "]";
  }
}
