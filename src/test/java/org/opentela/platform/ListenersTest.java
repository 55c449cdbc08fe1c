package org.opentela.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Naming what listens on a port, from /proc (Linux). */
class ListenersTest {
  private static final long SELF = ProcessHandle.current().pid();

  @Test
  void readsListeningSocketsFromTheKernelsTable() {
    String table = String.join("\n",
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0",
        "   1: 0100007F:1F91 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0");
    Map<Long, Integer> out = new HashMap<>();
    Listeners.parseTable(table, out);
    assertEquals(Map.of(4242L, 8080), out, "only LISTEN sockets (state 0A), port in hex");
  }

  @Test
  void namesTheProcessThatHoldsAPortAndThePortsAProcessListensOn() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int port = s.getLocalPort();
      String holder = Listeners.holderOf(port).orElseThrow();
      assertTrue(holder.startsWith("pid " + SELF + " ("), holder);
      assertTrue(holder.contains("java"), holder);
      assertTrue(Listeners.portsOf(List.of(SELF)).contains(port));
      assertFalse(Listeners.canBind("127.0.0.1", port), "a port with a listener cannot be bound");
    }
  }

  @Test
  void aFreePortHasNoHolder() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    assertTrue(Listeners.holderOf(port).isEmpty());
    assertTrue(Listeners.canBind("0.0.0.0", port));
  }

  @Test
  void refusesAPastedPlaceholderAsPublicAddress() {
    // The tutorial's "{YOUR_IP_ADDR}" pasted as is started a crash loop instead of a message.
    assertTrue(Network.publicAddressProblem("{YOUR_IP_ADDR}").orElseThrow().startsWith("a placeholder"));
    assertTrue(Network.publicAddressProblem("<head-ip>").orElseThrow().startsWith("a placeholder"));
    assertTrue(Network.publicAddressProblem("http://10.0.0.5:8092").orElseThrow().startsWith("not a host name"));
    assertTrue(Network.publicAddressProblem("10.0.0.5:43905").orElseThrow().startsWith("not a host name"));
    assertTrue(Network.publicAddressProblem("0.0.0.0").orElseThrow().startsWith("the wildcard address"));
    assertTrue(Network.publicAddressProblem("no-such-host.invalid").orElseThrow().startsWith("cannot be resolved"));
    for (String ok : new String[] {"127.0.0.1", "localhost", "10.0.0.5", "::1", "fe80::1"}) {
      assertEquals(java.util.Optional.empty(), Network.publicAddressProblem(ok), ok);
    }
  }
}
