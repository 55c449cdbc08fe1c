package org.opentela.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandLineTest {
  private static final String HEAD = "/ip4/127.0.0.1/tcp/43905/p2p/QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE";

  private static Config load(Properties sys, String... args) {
    return CommandLine.parse(args).load(sys);
  }

  private static Config load(String... args) {
    return load(new Properties(), args);
  }

  @Test
  void defaultsComeFromReferenceConf() {
    Config c = load("start");
    assertEquals(8092, c.getInt("otela.port"));
    assertEquals(43905, c.getInt("otela.tcpport"));
    assertEquals(8558, c.getInt("otela.management.port"));
    // application.conf wires Pekko to otela's keys.
    assertEquals(43905, c.getInt("pekko.remote.artery.canonical.port"));
    assertEquals(8558, c.getInt("pekko.management.http.port"));
  }

  @Test
  void precedenceIsFlagThenDashDThenSystemPropertyThenConfigFileThenReference(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("otela.conf");
    Files.writeString(file, "otela { port = 1001, tcpport = 1002, management.port = 1003, datadir = \"/from/file\","
        + " table.refresh-interval = 3s }");
    Properties sys = new Properties();
    sys.setProperty("otela.port", "2001");
    sys.setProperty("otela.tcpport", "2002");
    sys.setProperty("otela.management.port", "2003");
    Config c = load(sys, "start", "--config", file.toString(), "-Dotela.port=3001", "-Dotela.tcpport=3002",
        "--port", "4001");
    assertEquals(4001, c.getInt("otela.port"), "flag beats everything");
    assertEquals(3002, c.getInt("otela.tcpport"), "-D argument beats a JVM system property");
    assertEquals(2003, c.getInt("otela.management.port"), "system property beats the config file");
    assertEquals("/from/file", c.getString("otela.datadir"), "config file beats reference.conf");
    assertEquals(Duration.ofSeconds(3), c.getDuration("otela.table.refresh-interval"));
    assertEquals(8558 - 8558 + 3002, c.getInt("pekko.remote.artery.canonical.port"), "substitutions see overrides");
  }

  @Test
  void flagsAcceptEqualsSignAndListsRepeatOrUseCommas() {
    String other = HEAD.replace("127.0.0.1", "10.0.0.2");
    Config c = load("start", "--port=9000", "--bootstrap.addr", HEAD, "--bootstrap.addr", other + "," + other);
    assertEquals(9000, c.getInt("otela.port"));
    assertEquals(List.of(HEAD, other, other), c.getStringList("otela.bootstrap.addr"));
  }

  @Test
  void unknownFlagNamesTheFlag() {
    UsageException e = assertThrows(UsageException.class, () -> CommandLine.parse(new String[] {"start", "--prot", "1"}));
    assertEquals("--prot: unknown flag for 'otela start' (did you mean --port? see: otela start --help)",
        e.getMessage());
  }

  @Test
  void missingValueAndStrayArgumentsAreErrors() {
    assertTrue(assertThrows(UsageException.class, () -> CommandLine.parse(new String[] {"start", "--port"}))
        .getMessage().startsWith("--port: missing value"));
    assertTrue(assertThrows(UsageException.class, () -> CommandLine.parse(new String[] {"start", "8092"}))
        .getMessage().contains("unexpected argument '8092'"));
    assertTrue(assertThrows(UsageException.class, () -> CommandLine.parse(new String[] {"strat"}))
        .getMessage().contains("unknown command 'strat'"));
  }

  @Test
  void missingConfigFileIsAUsageError() {
    UsageException e = assertThrows(UsageException.class, () -> load("start", "--config", "/nonexistent.conf"));
    assertEquals("--config: '/nonexistent.conf' (expected: a readable HOCON file)", e.getMessage());
  }

  @Test
  void helpDescribesEveryFlag() {
    Flags flags = CommandLine.parse(new String[] {"start", "--help"}).flags();
    assertFalse(flags.all().isEmpty());
    for (Flags.Flag f : flags.all()) {
      assertFalse(f.description().isBlank(), "reference.conf must document " + f.key());
      assertTrue(f.description().contains("Default"), f.key() + " must state its default");
    }
    String help = flags.help();
    assertTrue(help.contains("--bootstrap.addr"));
    assertTrue(help.contains("--public-addr"));
    assertFalse(help.contains("--llm-sim."), "other commands' keys are not flags of start");
  }

  @Test
  void commandWithoutAWordIsStart() {
    assertEquals(Command.START, CommandLine.parse(new String[] {"-Dotela.role=head"}).command());
  }

  @Test
  void peerIdAcceptsStartsFlagsAndItsOwnCreate() {
    CommandLine cl = CommandLine.parse(new String[] {"peer-id", "--seed", "3", "--port", "1", "--tcpport", "5000",
        "--subprocess", "vllm serve x", "--create"});
    assertEquals(Command.PEER_ID, cl.command());
    Config c = cl.load(new Properties());
    assertEquals(5000, c.getInt("otela.tcpport"));
    assertTrue(c.getBoolean("otela.peer-id.create"));
    assertEquals("--create: unknown flag for 'otela start' (see: otela start --help)",
        assertThrows(UsageException.class, () -> CommandLine.parse(new String[] {"start", "--create"})).getMessage());
    assertThrows(UsageException.class, () -> CommandLine.parse(new String[] {"peer-id", "--model", "m"}),
        "llm-sim's flags are not start's");
  }

  @Test
  void peerIdHelpListsTheFlagsThatDecideTheIdAndSaysTheRestAreIgnored() {
    String help = CommandLine.parse(new String[] {"peer-id", "--help"}).flags().help();
    for (String flag : List.of("--seed", "--key-file", "--datadir", "--tcpport", "--create")) {
      assertTrue(help.contains("  " + flag), flag + " in " + help);
    }
    assertTrue(help.contains("(config key otela.peer-id.create)"), help);
    assertFalse(help.contains("--subprocess"), help);
    assertTrue(help.contains("Every other flag of 'otela start' is accepted and ignored"), help);
  }

  @Test
  void badValuesOfOwnFlagsNameTheFlag() {
    assertEquals("--create", Flags.flagName("otela.peer-id.create"));
    assertEquals("--port", Flags.flagName("otela.llm-sim.port"));
    assertEquals("--tcpport", Flags.flagName("otela.tcpport"));
  }
}
