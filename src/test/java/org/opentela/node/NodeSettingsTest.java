package org.opentela.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.opentela.config.CommandLine;
import org.opentela.config.UsageException;

/** {@code otela start}'s settings, read from a command line and validated. */
class NodeSettingsTest {
  private static final String HEAD = "/ip4/127.0.0.1/tcp/43905/p2p/QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE";

  private static Config load(String... args) {
    return CommandLine.parse(args).load(new Properties());
  }

  private static NodeSettings settings(String... args) {
    return NodeSettings.fromConfig(load(args));
  }

  @Test
  void dashDAfterJarWithoutCommandStartsAHead() {
    NodeSettings s = settings("-Dotela.role=head");
    assertEquals(NodeSettings.Role.HEAD, s.role());
    assertTrue(s.selfBootstraps(), "a head without bootstrap addresses forms the cluster");
  }

  @Test
  void aWorkerJoinsEveryBootstrapAddress() {
    String other = HEAD.replace("127.0.0.1", "10.0.0.2");
    NodeSettings s = settings("start", "--bootstrap.addr", HEAD, "--bootstrap.addr", other + "," + other);
    assertEquals(3, s.bootstrap().size());
    assertEquals(NodeSettings.Role.WORKER, s.role());
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
  void standaloneImpliesHeadAndHomeIsExpanded() {
    NodeSettings s = settings("start", "--mode", "standalone", "--role", "worker");
    assertEquals(NodeSettings.Role.HEAD, s.role());
    assertEquals(Path.of(System.getProperty("user.home"), ".otela"), s.dataDir());
    assertEquals(s.dataDir().resolve("identity.key"), s.identity().keyFile());
  }

  @Test
  void nodesOnOtherClusterPortsKeepTheirOwnDefaultKey() {
    NodeSettings s = settings("start", "--mode", "standalone", "--tcpport", "43906");
    assertEquals(s.dataDir().resolve("identity-43906.key"), s.identity().keyFile());
    NodeSettings given = settings("start", "--mode", "standalone", "--tcpport", "43906", "--key-file", "/tmp/k");
    assertEquals(Path.of("/tmp/k"), given.identity().keyFile());
  }

  private static String settingsError(String... flags) {
    String[] args = new String[flags.length + 1];
    args[0] = "start";
    System.arraycopy(flags, 0, args, 1, flags.length);
    return assertThrows(UsageException.class, () -> settings(args)).getMessage();
  }
}
