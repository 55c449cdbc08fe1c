package org.opentela.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.opentela.config.CommandLine;
import org.opentela.config.UsageException;
import org.opentela.testing.Ports;

/**
 * A node whose ports are taken says so before it starts anything, all clashes at once, each with what
 * holds the port and the flag to change (issue 13, item 6).
 */
class PortCheckTest {
  private static Config config(String... args) {
    return CommandLine.parse(args).load(new Properties());
  }

  private static ServerSocket hold(int port) throws Exception {
    ServerSocket s = new ServerSocket();
    s.bind(new InetSocketAddress("0.0.0.0", port));
    return s;
  }

  @Test
  void namesEveryPortInUseWithItsFlagAndHolderInOneMessage() throws Exception {
    int http = Ports.free();
    int tcp = Ports.free();
    int mgmt = Ports.free();
    Config c = config("start", "--mode", "standalone", "--port", "" + http, "--tcpport", "" + tcp,
        "--management.port", "" + mgmt, "--public-addr", "127.0.0.1");
    NodeSettings s = NodeSettings.fromConfig(c);
    assertNull(PortCheck.clashes(PortCheck.bindings(s, c)), "free ports pass");
    try (ServerSocket a = hold(http); ServerSocket b = hold(tcp); ServerSocket m = hold(mgmt)) {
      String message = PortCheck.clashes(PortCheck.bindings(s, c));
      long self = ProcessHandle.current().pid();
      assertTrue(message.startsWith("3 ports this node needs are in use:"), message);
      assertTrue(message.contains("port " + http + " (--port, the HTTP API) is in use by pid " + self + " ("), message);
      assertTrue(message.contains("port " + tcp + " (--tcpport, the cluster transport) is in use by pid " + self),
          message);
      assertTrue(message.contains("port " + mgmt + " (--management.port, Pekko Management) is in use by pid " + self),
          message);
      assertTrue(message.contains("e.g. --port "), message);
      assertEquals(5, message.lines().count(), "one line per clash, a heading and the advice: " + message);
      // Node.run refuses to start, with the same message, before any actor system (a usage error: exit code 2).
      UsageException e = assertThrows(UsageException.class, () -> Node.run(c, s));
      assertEquals(message.lines().skip(1).findFirst(), e.getMessage().lines().skip(1).findFirst());
    }
  }
}
