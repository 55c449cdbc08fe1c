package org.opentela.proxy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * How a node tells a {@code /v1/p2p/} hop from another node from a client's request. The hop count travels
 * between nodes in the cluster message ({@link ProxyRequest#hops()}); the last leg, from a node's
 * {@link ServiceProxy} to that node's own HTTP API over loopback, carries it in {@value #HOPS} together with
 * {@value #TOKEN}, a secret of this JVM that no client can know. The API believes a hop count only with the
 * token; a client's own {@value #HOPS} counts as 0, and both headers are dropped before anything is
 * forwarded ({@link Headers}), so the token never leaves the node.
 */
public final class LocalHops {
  public static final String HOPS = "X-Otela-Hops";
  public static final String TOKEN = "X-Otela-Hop-Token";
  private static final String SECRET = newSecret();

  private LocalHops() {}

  private static String newSecret() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** The headers that carry {@code hops} from this node's proxy to its own API. */
  public static void addTo(List<String> headers, int hops) {
    Headers.set(headers, HOPS, Integer.toString(hops));
    Headers.set(headers, TOKEN, SECRET);
  }

  /**
   * The hop count of a request to this node's API: the one its own proxy set, when {@code token} is this
   * JVM's secret; else 0 (a client's request). A negative or non-numeric count is 0.
   */
  public static int trusted(String hops, String token) {
    if (hops == null || token == null
        || !MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8), SECRET.getBytes(StandardCharsets.UTF_8))) {
      return 0;
    }
    try {
      return Math.max(0, Integer.parseInt(hops.trim()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
