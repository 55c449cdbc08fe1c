package org.opentela.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class MultiaddrTest {
  private static final String ID = "QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE";

  @Test
  void parsesIpv4AndBuildsThePekkoAddress() {
    Multiaddr m = Multiaddr.parse("/ip4/10.6.1.92/tcp/43905/p2p/" + ID);
    assertEquals(new Multiaddr("ip4", "10.6.1.92", 43905, ID), m);
    assertEquals("pekko://otela@10.6.1.92:43905", m.toPekkoAddress("otela").toString());
    assertEquals("/ip4/10.6.1.92/tcp/43905/p2p/" + ID, m.toString());
  }

  @Test
  void parsesIpv6DnsAndLegacyIpfs() {
    assertEquals("::1", Multiaddr.parse("/ip6/::1/tcp/1/p2p/" + ID).host());
    assertEquals("head.example.org", Multiaddr.parse("/dns4/head.example.org/tcp/43905/p2p/" + ID).host());
    assertEquals("head", Multiaddr.parse("/dns/head/tcp/43905/ipfs/" + ID).host());
    assertEquals(ID, Multiaddr.parse("  /ip4/1.2.3.4/tcp/5/p2p/" + ID + " ").peerId());
  }

  @Test
  void buildsTheAddressAWorkerShouldUse() {
    assertEquals("/ip4/127.0.0.1/tcp/43905/p2p/" + ID, Multiaddr.of("127.0.0.1", 43905, ID).toString());
    assertEquals("/dns4/head.local/tcp/43905/p2p/" + ID, Multiaddr.of("head.local", 43905, ID).toString());
    assertEquals("/ip6/fe80::1/tcp/43905/p2p/" + ID, Multiaddr.of("fe80::1", 43905, ID).toString());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "ip4/1.2.3.4/tcp/43905/p2p/" + ID + "| must start with '/'",
      "/ip4/1.2.3.4/tcp/43905| must have 6 parts",
      "/ip4/1.2.3.400/tcp/43905/p2p/" + ID + "| is not an IPv4 address",
      "/ip4/1.2.3/tcp/43905/p2p/" + ID + "| is not an IPv4 address",
      "/ip6/zz/tcp/43905/p2p/" + ID + "| is not an IPv6 address",
      "/dns4/bad_host!/tcp/43905/p2p/" + ID + "| is not a DNS name",
      "/udp4/1.2.3.4/tcp/43905/p2p/" + ID + "| unknown protocol 'udp4'",
      "/ip4/1.2.3.4/udp/43905/p2p/" + ID + "| expected 'tcp'",
      "/ip4/1.2.3.4/tcp/http/p2p/" + ID + "| is not a port number",
      "/ip4/1.2.3.4/tcp/70000/p2p/" + ID + "| out of range",
      "/ip4/1.2.3.4/tcp/43905/peer/" + ID + "| expected 'p2p'",
      "/ip4/1.2.3.4/tcp/43905/p2p/QmTypo| not a sha2-256 peer id",
      "/ip4/1.2.3.4/tcp/43905/p2p/{YOUR_HEAD_NODE_PEER_ID}| invalid base58 character",
  })
  void rejectsMalformedAddressesSayingWhy(String input, String why) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Multiaddr.parse(input));
    assertTrue(e.getMessage().contains(why), e.getMessage());
    assertTrue(e.getMessage().contains("expected: /ip4|/ip6"), e.getMessage());
  }
}
