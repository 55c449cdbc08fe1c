package org.opentela.cluster;

import org.opentela.identity.PeerId;

/**
 * A bootstrap address, {@code /ip4|/ip6|/dns4|/dns6|/dns/HOST/tcp/PORT/p2p/PEERID}: where a node listens
 * for the cluster transport, and which peer id it must have.
 */
public record Multiaddr(String protocol, String host, int port, String peerId) {
  private static final String EXPECTED =
      "/ip4|/ip6|/dns4|/dns6|/dns/HOST/tcp/PORT/p2p/PEERID, e.g. /ip4/10.0.0.5/tcp/43905/p2p/Qm...";

  /** Parses a multiaddr; a malformed one throws {@link IllegalArgumentException} saying what is wrong. */
  public static Multiaddr parse(String text) {
    String s = text == null ? "" : text.trim();
    if (!s.startsWith("/")) {
      throw bad(s, "it must start with '/'");
    }
    String[] parts = s.substring(1).split("/", -1);
    if (parts.length != 6) {
      throw bad(s, "it must have 6 parts, found " + parts.length);
    }
    String protocol = parts[0];
    String host = parts[1];
    switch (protocol) {
      case "ip4" -> {
        if (!isIpv4(host)) {
          throw bad(s, "'" + host + "' is not an IPv4 address");
        }
      }
      case "ip6" -> {
        if (!host.contains(":") || !host.matches("[0-9A-Fa-f:.]+")) {
          throw bad(s, "'" + host + "' is not an IPv6 address");
        }
      }
      case "dns", "dns4", "dns6" -> {
        if (!host.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})")) {
          throw bad(s, "'" + host + "' is not a DNS name");
        }
      }
      default -> throw bad(s, "unknown protocol '" + protocol + "'");
    }
    if (!parts[2].equals("tcp")) {
      throw bad(s, "expected 'tcp' after the host, found '" + parts[2] + "'");
    }
    int port;
    try {
      port = Integer.parseInt(parts[3]);
    } catch (NumberFormatException e) {
      throw bad(s, "'" + parts[3] + "' is not a port number");
    }
    if (port < 1 || port > 65535) {
      throw bad(s, "port " + port + " is out of range 1..65535");
    }
    if (!parts[4].equals("p2p") && !parts[4].equals("ipfs")) {
      throw bad(s, "expected 'p2p' after the port, found '" + parts[4] + "'");
    }
    String problem = PeerId.problem(parts[5]);
    if (problem != null) {
      throw bad(s, "peer id '" + parts[5] + "': " + problem);
    }
    return new Multiaddr(protocol, host, port, parts[5]);
  }

  /** The multiaddr of a node, choosing ip4/ip6/dns4 by the shape of the host. */
  public static Multiaddr of(String host, int port, String peerId) {
    String protocol = isIpv4(host) ? "ip4" : host.contains(":") ? "ip6" : "dns4";
    return new Multiaddr(protocol, host, port, peerId);
  }

  /** The Pekko address of the node's cluster transport. */
  public org.apache.pekko.actor.Address toPekkoAddress(String systemName) {
    return new org.apache.pekko.actor.Address("pekko", systemName, host, port);
  }

  @Override
  public String toString() {
    return "/" + protocol + "/" + host + "/tcp/" + port + "/p2p/" + peerId;
  }

  static boolean isIpv4(String host) {
    String[] octets = host.split("\\.", -1);
    if (octets.length != 4) {
      return false;
    }
    for (String o : octets) {
      if (o.isEmpty() || o.length() > 3 || !o.chars().allMatch(Character::isDigit) || Integer.parseInt(o) > 255) {
        return false;
      }
    }
    return true;
  }

  private static IllegalArgumentException bad(String s, String why) {
    return new IllegalArgumentException("'" + s + "': " + why + " (expected: " + EXPECTED + ")");
  }
}
