package org.opentela.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.opentela.config.CommandLine;
import org.opentela.config.UsageException;

/** The admission flags: what combines, what does not, and the token from the environment. */
class TrustSettingsTest {
  private static final String TOKEN = JoinToken.generate(new byte[32]).toString();

  private static Config config(String... flags) {
    String[] args = new String[flags.length + 1];
    args[0] = "start";
    System.arraycopy(flags, 0, args, 1, flags.length);
    return CommandLine.parse(args).load(new Properties());
  }

  @Test
  void noFlagIsAnOpenPool() {
    TrustSettings s = TrustSettings.fromConfig(config(), false, null);
    assertFalse(s.closed());
    assertEquals(8092, s.bootstrapApiPort());
  }

  @Test
  void aTokenFromTheFlagOrTheEnvironmentClosesThePool() {
    assertTrue(TrustSettings.fromConfig(config("--join-token", TOKEN), false, null).closed());
    TrustSettings env = TrustSettings.fromConfig(config(), false, TOKEN);
    assertEquals(TOKEN, env.joinToken().orElseThrow().toString());
    assertTrue(assertThrows(UsageException.class, () -> TrustSettings.fromConfig(config(), false, "otela1.x"))
        .getMessage().startsWith("OTELA_JOIN_TOKEN"));
  }

  @Test
  void conflictingFlagsSayWhatToDo() {
    assertTrue(assertThrows(UsageException.class, () -> TrustSettings.fromConfig(config("--pool.secure"), false, null))
        .getMessage().contains("only a head"));
    assertTrue(assertThrows(UsageException.class,
        () -> TrustSettings.fromConfig(config("--pool.secure", "--join-token", TOKEN), true, null))
        .getMessage().contains("needs no token"));
    assertTrue(assertThrows(UsageException.class,
        () -> TrustSettings.fromConfig(config("--pool.cert-lifetime", "1s"), true, null)).getMessage()
        .contains("at least 10s"));
    assertTrue(assertThrows(UsageException.class,
        () -> TrustSettings.fromConfig(config("--tls.dir", "/nonexistent"), false, null)).getMessage()
        .contains("tls.key"));
  }
}
