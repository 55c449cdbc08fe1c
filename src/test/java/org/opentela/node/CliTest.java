package org.opentela.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.opentela.Version;
import org.opentela.config.UsageException;

/**
 * The first things a user types (issue 13, item 12): otela with no arguments, a flag spelt with a dash,
 * {@code start --help}, {@code version}; and {@code $HOME} deciding where {@code ~} is (item 8).
 */
class CliTest {
  /** What a command printed and returned. */
  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void noArgumentsPrintsUsageInsteadOfAskingForABootstrapAddress() {
    // It used to start a worker, which complained that --bootstrap.addr was missing.
    Run r = run();
    assertEquals(0, r.code());
    assertTrue(r.out().startsWith("otela pools GPU machines"), r.out());
    for (String command : new String[] {"start", "peer-id", "version", "llm-sim", "demo"}) {
      assertTrue(r.out().contains("\n  " + command + " "), command + " in " + r.out());
    }
    assertTrue(r.out().contains("otela demo"), r.out());
    assertFalse(r.out().contains("--bootstrap.addr: missing"), r.out());
  }

  @Test
  void aFlagSpeltWithADashSuggestsTheRealOne() {
    UsageException e = assertThrows(UsageException.class, () -> run("start", "--bootstrap-addr", "/ip4/x"));
    assertEquals("--bootstrap-addr: unknown flag for 'otela start' (did you mean --bootstrap.addr? see: otela start"
        + " --help)", e.getMessage());
    assertTrue(assertThrows(UsageException.class, () -> run("start", "--service.start-timeout", "5m"))
        .getMessage().contains("did you mean --service.start_timeout?"));
    assertTrue(assertThrows(UsageException.class, () -> run("start", "--bootstap.addr", "/ip4/x"))
        .getMessage().contains("did you mean --bootstrap.addr?"), "a typo within two letters");
    assertFalse(assertThrows(UsageException.class, () -> run("start", "--gpu", "1"))
        .getMessage().contains("did you mean"), "no suggestion when nothing is close");
    assertTrue(assertThrows(UsageException.class, () -> run("strat")).getMessage().contains("did you mean 'start'?"));
  }

  @Test
  void startHelpShowsExamplesFirstThenTheFlagsInGroups() {
    String help = run("start", "--help").out();
    int examples = help.indexOf("Examples:");
    int node = help.indexOf("\nNode:\n");
    int cluster = help.indexOf("\nCluster:\n");
    int service = help.indexOf("\nService (the backend this node runs and registers):\n");
    int routing = help.indexOf("\nRouting:\n");
    int http = help.indexOf("\nHTTP:\n");
    assertTrue(examples > 0 && examples < node && node < cluster && cluster < service && service < routing
        && routing < http, help);
    assertTrue(help.indexOf("--mode standalone --public-addr") < node, "a head's command is the first example");
    assertTrue(help.indexOf("\n  --subprocess ") > service && help.indexOf("\n  --subprocess ") < routing, help);
    assertTrue(help.indexOf("\n  --bootstrap.addr ") > cluster && help.indexOf("\n  --bootstrap.addr ") < service, help);
    assertTrue(help.indexOf("\n  --lb-policy ") > routing && help.indexOf("\n  --lb-policy ") < http, help);
    assertTrue(help.indexOf("\n  --http.max_body ") > http, help);
    assertTrue(help.indexOf("\n  --mode ") < help.indexOf("\n  --config "), "in a group, the flags a user needs first");
    assertFalse(help.contains("\nOther flags:\n"), "every flag of start is in a named group: " + help);
  }

  @Test
  void versionNamesTheCommit() {
    Run r = run("version");
    assertEquals(0, r.code());
    assertTrue(r.out().startsWith("otela " + Version.CURRENT + " (commit " + Version.COMMIT + ", Java "), r.out());
    // The build records it with git; a build outside a clone says "unknown", never a placeholder.
    assertTrue(Version.COMMIT.matches("[0-9a-f]{7,40}|unknown"), Version.COMMIT);
  }

  @Test
  void aBadLogLevelNamesTheFlag() {
    UsageException e = assertThrows(UsageException.class, () -> Logging.apply("loud"));
    assertEquals("--log.level: 'loud' (expected: one of error, warn, info, debug)", e.getMessage());
  }

  @Test
  void aPastedPlaceholderAsPublicAddressIsAUsageErrorNotACrashLoop() {
    // '--public-addr {YOUR_IP_ADDR}' pasted from the tutorial started 126 restarts in 15 s (item 7).
    UsageException e = assertThrows(UsageException.class,
        () -> run("start", "--mode", "standalone", "--public-addr", "{YOUR_IP_ADDR}", "--port", "0"));
    assertTrue(e.getMessage().startsWith("--public-addr: '{YOUR_IP_ADDR}' is a placeholder, not an address: replace"
        + " it with this machine's IP address"), e.getMessage());
  }

  @Test
  void homeFollowsTheEnvironment() {
    String before = System.getProperty("user.home");
    try {
      Main.homeFollowsEnvironment("/scratch/someone");
      assertEquals("/scratch/someone", System.getProperty("user.home"));
      Main.homeFollowsEnvironment("");
      assertEquals("/scratch/someone", System.getProperty("user.home"), "an empty $HOME changes nothing");
    } finally {
      System.setProperty("user.home", before);
    }
  }
}
