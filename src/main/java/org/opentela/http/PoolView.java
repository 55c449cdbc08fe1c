package org.opentela.http;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.opentela.Version;
import org.opentela.platform.Gpu;
import org.opentela.platform.Hardware;
import org.opentela.table.Load;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.ServiceRecord;
import org.opentela.telemetry.PoolHistory;
import org.opentela.telemetry.TrafficHistory;

/**
 * {@code GET /v1/dnt/pool}: the pool at a glance, as this node sees it, for the dashboard and
 * {@code otela status}. Nodes with their status ({@value #UP}, {@value #DRAINING}, {@value #UNREACHABLE},
 * or {@value #LEFT} for one that left the table in the last 15 minutes), hardware and version; each
 * service and model with the workers that serve it, their load and this node's requests in flight to them,
 * and the model's recent traffic through this node.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record PoolView(String self, String version, long time, List<NodeRow> nodes, List<ModelRow> models) {
  public static final String UP = "up";
  public static final String DRAINING = "draining";
  public static final String UNREACHABLE = "unreachable";
  public static final String LEFT = "left";
  /** A node's service is listed but not routable. */
  public static final String UNHEALTHY = "unhealthy";

  /**
   * One node. {@code memoryTotal}/{@code memoryUsed} in MiB (0 when unknown); {@code goneAt} (unix ms) only for
   * a node no longer in the table.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record NodeRow(String id, List<String> role, String status, String version, String address, int apiPort,
      List<Gpu> gpus, long memoryTotal, long memoryUsed, List<ServiceRow> services, int inFlight, long lastSeen,
      Long goneAt, boolean self) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record ServiceRow(String name, String status, List<String> models, Load load) {}

  /**
   * One model of a service ({@code model} null for a service whose workers name no model), its workers, and
   * its traffic through this node over the last seconds: requests and 5xx per second, time to first byte.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record ModelRow(String service, String model, List<ProviderRow> providers, Traffic traffic) {}

  /** A worker serving a model: its status for this model ({@value #UP} means routable), load, in flight. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record ProviderRow(String id, String status, Load load, int inFlight) {}

  /** Recent traffic of a model (null where there was none). Times in seconds. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Traffic(Double requestsPerSecond, Double errorsPerSecond, Double ttfbP50, Double ttfbP99) {
    static final Traffic NONE = new Traffic(null, null, null, null);
  }

  /**
   * @param inFlight this node's requests in flight per worker (the router's counts)
   * @param recent   the last few traffic points (averaged for the models' traffic)
   */
  public static PoolView of(NodeTable table, Map<String, PoolHistory.GoneNode> gone, Map<String, Integer> inFlight,
      TrafficHistory.Points recent, long nowMillis) {
    List<NodeRow> nodes = new ArrayList<>();
    Map<String, List<ProviderRow>> providers = new TreeMap<>();
    for (NodeRecord r : table.records().values()) {
      String status = nodeStatus(table, r);
      int flying = inFlight.getOrDefault(r.id(), 0);
      nodes.add(node(r, status, flying, null, r.id().equals(table.selfId())));
      for (ServiceRecord s : r.service()) {
        String providerStatus = status.equals(UP) && !s.routable() ? UNHEALTHY : status;
        List<String> models = models(s);
        for (String m : models.isEmpty() ? java.util.Collections.<String>singletonList(null) : models) {
          providers.computeIfAbsent(key(s.name(), m), k -> new ArrayList<>())
              .add(new ProviderRow(r.id(), providerStatus, s.load(), flying));
        }
      }
    }
    gone.forEach((id, g) -> {
      if (table.get(id) == null) {
        nodes.add(node(g.last(), g.wasConnected() ? LEFT : UNREACHABLE, 0, g.goneAtMillis(), false));
      }
    });
    nodes.sort(Comparator.comparing((NodeRow n) -> n.goneAt() != null).thenComparing(n -> !n.role().contains("head"))
        .thenComparing(NodeRow::id));
    List<ModelRow> models = new ArrayList<>();
    providers.forEach((k, ps) -> {
      int cut = k.indexOf('\u0000');
      String service = k.substring(0, cut);
      String model = cut + 1 < k.length() ? k.substring(cut + 1) : null;
      ps.sort(Comparator.comparing((ProviderRow p) -> !p.status().equals(UP)).thenComparing(ProviderRow::id));
      models.add(new ModelRow(service, model, List.copyOf(ps), traffic(recent, model)));
    });
    return new PoolView(table.selfId(), Version.CURRENT, nowMillis, nodes, models);
  }

  private static String key(String service, String model) {
    return service + '\u0000' + (model == null ? "" : model);
  }

  static String nodeStatus(NodeTable t, NodeRecord r) {
    if (!t.isConnected(r.id())) {
      return UNREACHABLE;
    }
    return r.status().isEmpty() ? UP : r.status().equals("draining") ? DRAINING : r.status();
  }

  private static NodeRow node(NodeRecord r, String status, int inFlight, Long goneAt, boolean self) {
    Hardware hw = r.hardware() == null ? Hardware.UNKNOWN : r.hardware();
    List<ServiceRow> services = new ArrayList<>();
    for (ServiceRecord s : r.service()) {
      services.add(new ServiceRow(s.name(), s.status(), models(s), s.load()));
    }
    return new NodeRow(r.id(), r.role(), status, r.version(), r.publicAddress(), r.apiPort(),
        hw.gpus() == null ? List.of() : hw.gpus(), hw.hostMemory(), hw.hostMemoryUsed(), services, inFlight,
        r.lastSeen(), goneAt, self);
  }

  private static List<String> models(ServiceRecord s) {
    List<String> out = new ArrayList<>();
    for (String g : s.identityGroup()) {
      String group = g.trim();
      if (group.startsWith("model=") && group.length() > 6 && !group.equals("model=*")) {
        out.add(group.substring(6));
      }
    }
    return out;
  }

  /** The mean rates and the latest latency quantiles of {@code model} over {@code recent}. */
  private static Traffic traffic(TrafficHistory.Points recent, String model) {
    TrafficHistory.ModelSeries s = model == null || recent == null ? null : recent.models().get(model);
    if (s == null) {
      return Traffic.NONE;
    }
    return new Traffic(mean(s.rps()), mean(s.errors()), last(s.ttfbP50()), last(s.ttfbP99()));
  }

  private static Double mean(Float[] xs) {
    double sum = 0;
    int n = 0;
    for (Float x : xs) {
      if (x != null) {
        sum += x;
        n++;
      }
    }
    return n == 0 ? null : sum / n;
  }

  private static Double last(Float[] xs) {
    for (int i = xs.length - 1; i >= 0; i--) {
      if (xs[i] != null) {
        return xs[i].doubleValue();
      }
    }
    return null;
  }
}
