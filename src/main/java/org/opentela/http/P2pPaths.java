package org.opentela.http;

import java.util.Set;

/**
 * What {@code /v1/p2p/{peer}/{path}} may reach on a node of a closed pool: only the documented paths of
 * its HTTP API, that is its local services ({@code /v1/_service/{service}/...}) and its read-only status
 * ({@code GET /v1/health}, {@code /v1/dnt/table}, {@code /v1/dnt/peers}, {@code /metrics}). Never another
 * hop ({@code /v1/p2p/} again), and never a path with dot segments. The target itself is a member whose
 * signed record names its address, so no request is steered outside the pool. Open pools keep the
 * original's behaviour: any path of the node's API.
 */
final class P2pPaths {
  private static final Set<String> STATUS = Set.of("/v1/health", "/v1/dnt/table", "/v1/dnt/peers", "/metrics");

  private P2pPaths() {}

  /** Null if {@code method path} may be forwarded in a closed pool, else why not (for {@code p2p_path_not_allowed}). */
  static String refusal(String method, String path) {
    if (path.contains("/./") || path.contains("/../") || path.endsWith("/.") || path.endsWith("/..")
        || path.toLowerCase(java.util.Locale.ROOT).contains("%2e") || path.contains("\\")) {
      return "the path contains dot segments";
    }
    if (path.startsWith("/v1/_service/") && path.length() > "/v1/_service/".length()) {
      return null;
    }
    if (STATUS.contains(path) && method.equals("GET")) {
      return null;
    }
    return "it is not one of the documented paths";
  }
}
