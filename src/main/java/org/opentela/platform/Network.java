package org.opentela.platform;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** This machine's network addresses. */
public final class Network {
  private Network() {}

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
