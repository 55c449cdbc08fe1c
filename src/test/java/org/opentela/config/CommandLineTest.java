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
import org.opentela.node.NodeSettings;
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
  void dashDAfterJarWithoutCommandStartsANode() {
    CommandLine cl = CommandLine.parse(new String[] {"-Dotela.role=head"});
    assertEquals(Command.START, cl.command());
    NodeSettings s = NodeSettings.fromConfig(cl.load(new Properties()));
    assertEquals(NodeSettings.Role.HEAD, s.role());
    assertTrue(s.selfBootstraps(), "a head without bootstrap addresses forms the cluster");
  }

  @Test
  void flagsAcceptEqualsSignAndListsRepeatOrUseCommas() {
    String other = HEAD.replace("127.0.0.1", "10.0.0.2");
    Config c = load("start", "--port=9000", "--bootstrap.addr", HEAD, "--bootstrap.addr", other + "," + other);
    assertEquals(9000, c.getInt("otela.port"));
    assertEquals(List.of(HEAD, other, other), c.getStringList("otela.bootstrap.addr"));
    NodeSettings s = NodeSettings.fromConfig(c);
    assertEquals(3, s.bootstrap().size());
    assertEquals(NodeSettings.Role.WORKER, s.role());
  }

  @Test
  void unknownFlagNamesTheFlag() {
    UsageException e = assertThrows(UsageException.class, () -> CommandLine.parse(new String[] {"start", "--prot", "1"}));
    assertEquals("--prot: unknown flag for 'otela start' (see: otela start --help)", e.getMessage());
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
  void badValuesNameTheFlagAndWhatWasExpected() {
    assertEquals("--port: 'abc' (expected: an integer 0..65535)", settingsError("--mode", "standalone", "--port", "abc"));
    assertEquals("--port: 'abc' (expected: an integer 0..65535)", settingsError("--port", "abc"),
        "a bad value is named before the missing --bootstrap.addr");
    assertEquals("--tcpport: '70000' (expected: an integer 0..65535)",
        settingsError("--mode", "standalone", "--tcpport", "70000"));
    assertEquals("--mode: 'solo' (expected: one of standalone, node)", settingsError("--mode", "solo"));
    assertEquals("--seed: 'x1' (expected: an integer, e.g. --seed 0)", settingsError("--mode", "standalone", "--seed", "x1"));
    assertEquals("--table.refresh-interval: 'soon' (expected: a duration such as 500ms, 10s or 5m)",
        settingsError("--mode", "standalone", "--table.refresh-interval", "soon"));
    assertTrue(settingsError("--bootstrap.addr", "/ip4/1.2.3.4/tcp/1/p2p/QmTypo")
        .startsWith("--bootstrap.addr: '/ip4/1.2.3.4/tcp/1/p2p/QmTypo': peer id 'QmTypo'"));
    assertTrue(settingsError().startsWith("--bootstrap.addr: missing"), "a worker needs a bootstrap address");
  }

  @Test
  void missingConfigFileIsAUsageError() {
    UsageException e = assertThrows(UsageException.class, () -> load("start", "--config", "/nonexistent.conf"));
    assertEquals("--config: '/nonexistent.conf' (expected: a readable HOCON file)", e.getMessage());
  }

  @Test
  void standaloneImpliesHeadAndHomeIsExpanded() {
    NodeSettings s = NodeSettings.fromConfig(load("start", "--mode", "standalone", "--role", "worker"));
    assertEquals(NodeSettings.Role.HEAD, s.role());
    assertEquals(Path.of(System.getProperty("user.home"), ".otela"), s.dataDir());
    assertEquals(s.dataDir().resolve("identity.key"), s.keyFile());
  }

  @Test
  void nodesOnOtherClusterPortsKeepTheirOwnDefaultKey() {
    NodeSettings s = NodeSettings.fromConfig(load("start", "--mode", "standalone", "--tcpport", "43906"));
    assertEquals(s.dataDir().resolve("identity-43906.key"), s.keyFile());
    NodeSettings given = NodeSettings.fromConfig(load("start", "--mode", "standalone", "--tcpport", "43906",
        "--key-file", "/tmp/k"));
    assertEquals(Path.of("/tmp/k"), given.keyFile());
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
  void peerIdAcceptsOnlyItsFlags() {
    assertEquals(Command.PEER_ID, CommandLine.parse(new String[] {"peer-id", "--seed", "3"}).command());
    assertThrows(UsageException.class, () -> CommandLine.parse(new String[] {"peer-id", "--port", "1"}));
  }

  private static String settingsError(String... flags) {
    String[] args = new String[flags.length + 1];
    args[0] = "start";
    System.arraycopy(flags, 0, args, 1, flags.length);
    return assertThrows(UsageException.class, () -> NodeSettings.fromConfig(load(args))).getMessage();
  }
}
