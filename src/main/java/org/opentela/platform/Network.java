package org.opentela.platform;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** This machine's network addresses. */
public final class Network {
  /** Host names and IPv4 literals: letters, digits, '-', '.'; IPv6 literals: hex digits, ':' and '.'. */
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  private Network() {}

  /**
   * What is wrong with {@code addr} as the address other machines reach this node at, or empty if it is a
   * host name or IP literal that resolves. A pasted placeholder ({@code {YOUR_IP_ADDR}}), a URL or a
   * host:port are refused here, before the cluster transport would fail on them in a less helpful way.
   */
  public static Optional<String> publicAddressProblem(String addr) {
    if (addr.matches(".*[{}<>].*")) {
      return Optional.of("a placeholder, not an address: replace it with this machine's IP address or host name"
          + " as the other machines reach it (e.g. --public-addr 192.168.1.20), or leave --public-addr out to"
          + " use the detected " + detectAddress());
    }
    if (addr.contains("://") || addr.contains("/") || addr.chars().anyMatch(Character::isWhitespace)
        || addr.matches("[^:]+:[0-9]+") || !HOST.matcher(addr).matches()) {
      return Optional.of("not a host name or IP address (expected e.g. 192.168.1.20 or gpu-3.example.org, without"
          + " a scheme, port or path)");
    }
    if (addr.equals("0.0.0.0") || addr.equals("::")) {
      return Optional.of("the wildcard address, which no other machine can reach (the cluster transport already"
          + " listens on all interfaces); give this machine's own address, e.g. " + detectAddress());
    }
    try {
      InetAddress.getByName(addr);
      return Optional.empty();
    } catch (java.net.UnknownHostException e) {
      return Optional.of("cannot be resolved on this machine (expected: an IP address, or a host name that the"
          + " other machines resolve to this one)");
    }
  }

  /**
   * The address other machines most likely reach this one at: the first IPv4 address of an interface
   * that is up, not loopback and not virtual; 127.0.0.1 if there is none.
   */
  public static String detectAddress() {
    List<String> candidates = new ArrayList<>();
    try {
      for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!nif.isUp() || nif.isLoopback() || nif.isVirtual()) {
          continue;
        }
        for (InetAddress a : Collections.list(nif.getInetAddresses())) {
          if (a instanceof Inet4Address && !a.isLinkLocalAddress()) {
            candidates.add(a.getHostAddress());
          }
        }
      }
    } catch (SocketException e) {
      return "127.0.0.1";
    }
    return candidates.isEmpty() ? "127.0.0.1" : candidates.get(0);
  }
}
