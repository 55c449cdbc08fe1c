package org.opentela.node;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.opentela.platform.Listeners;

/**
 * Checks, before the actor system starts, that the node's three ports can be bound: the HTTP API, the
 * cluster transport and Pekko Management. Every clash is named in one message, with what holds the
 * port, the flag to change and a free port to try, so that one run tells all (the transport's own bind
 * failure is a 90-line stack trace, and each clash used to cost a run).
 */
final class PortCheck {
  /** One port the node binds: where, and the flag that chooses it. */
  record Binding(String host, int port, String flag, String what) {}

  private PortCheck() {}

  /** The node's bindings (a port of 0 means "any free port" and is not checked). */
  static List<Binding> bindings(NodeSettings s, Config config) {
    List<Binding> out = new ArrayList<>();
    out.add(new Binding(s.httpBind(), s.httpPort(), "--port", "the HTTP API"));
    out.add(new Binding(config.getString("pekko.remote.artery.bind.hostname"), s.tcpPort(), "--tcpport",
        "the cluster transport"));
    out.add(new Binding(config.getString("pekko.management.http.bind-hostname"), s.managementPort(),
        "--management.port", "Pekko Management"));
    out.removeIf(b -> b.port() == 0);
    return out;
  }

  /** The message for the bindings that cannot be bound now, or null if all can. */
  static String clashes(List<Binding> bindings) {
    List<Binding> taken = new ArrayList<>();
    for (Binding b : bindings) {
      if (!Listeners.canBind(b.host().isEmpty() ? "0.0.0.0" : b.host(), b.port())) {
        taken.add(b);
      }
    }
    if (taken.isEmpty()) {
      return null;
    }
    Set<Integer> used = new HashSet<>();
    bindings.forEach(b -> used.add(b.port()));
    StringBuilder sb = new StringBuilder(taken.size() == 1 ? "a port this node needs is in use:"
        : taken.size() + " ports this node needs are in use:");
    List<String> fixes = new ArrayList<>();
    for (Binding b : taken) {
      String holder = Listeners.holderOf(b.port()).map(h -> "by " + h).orElse("by another process");
      sb.append("\n  port ").append(b.port()).append(" (").append(b.flag()).append(", ").append(b.what())
          .append(") is in use ").append(holder);
      int free = nextFree(b, used);
      if (free > 0) {
        used.add(free);
        fixes.add(b.flag() + " " + free);
      }
    }
    sb.append("\nStop what holds ").append(taken.size() == 1 ? "it" : "them").append(", or choose ")
        .append(taken.size() == 1 ? "another port" : "other ports");
    if (!fixes.isEmpty()) {
      sb.append(", e.g. ").append(String.join(" ", fixes));
    }
    sb.append(" (two nodes on one machine need their own --port, --tcpport and --management.port).");
    return sb.toString();
  }

  private static int nextFree(Binding b, Set<Integer> used) {
    for (int p = b.port() + 1; p <= Math.min(65535, b.port() + 100); p++) {
      if (!used.contains(p) && Listeners.canBind(b.host().isEmpty() ? "0.0.0.0" : b.host(), p)) {
        return p;
      }
    }
    return 0;
  }
}
