package org.opentela.http;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.ServiceRecord;

/**
 * Prometheus metrics of the requests this node routes, and of the pool as it sees it, rendered in the
 * text exposition format at {@code GET /metrics}. Recording is lock-free (one map lookup and a few adds
 * per request). Label values come from routes otela knows (service names are validated before they are
 * recorded), so their number stays small.
 */
public final class RequestMetrics {
  /** Upper bounds of the latency buckets, in seconds: from sub-millisecond proxying to slow generations. */
  static final double[] BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
      120, 300};

  private static final class Series {
    final LongAdder count = new LongAdder();
  }

  private static final class Latency {
    final LongAdder[] buckets = new LongAdder[BUCKETS.length];
    final LongAdder count = new LongAdder();
    final LongAdder sumMicros = new LongAdder();

    Latency() {
      for (int i = 0; i < buckets.length; i++) {
        buckets[i] = new LongAdder();
      }
    }

    void observe(long nanos) {
      double seconds = nanos / 1e9;
      for (int i = 0; i < BUCKETS.length; i++) {
        if (seconds <= BUCKETS[i]) {
          buckets[i].increment();
          break;
        }
      }
      count.increment();
      sumMicros.add(nanos / 1000);
    }
  }

  /** Distinct service labels kept; later ones are counted as "other", so random paths cannot grow the map. */
  static final int MAX_SERVICES = 64;

  private final Map<String, Series> requests = new ConcurrentHashMap<>();
  private final Map<String, Latency> latency = new ConcurrentHashMap<>();
  private final AtomicLong activeStreams = new AtomicLong();
  private volatile NodeTable table;

  /** A request to {@code service} ("p2p" or "local" for pinned and local routes) answered with {@code status}. */
  public void record(String service, int status, long nanosToHeaders) {
    if (latency.size() >= MAX_SERVICES && !latency.containsKey(service)) {
      service = "other";
    }
    requests.computeIfAbsent(service + '\u0000' + status, k -> new Series()).count.increment();
    latency.computeIfAbsent(service, k -> new Latency()).observe(nanosToHeaders);
  }

  public void streamStarted() {
    activeStreams.incrementAndGet();
  }

  public void streamEnded() {
    activeStreams.decrementAndGet();
  }

  /** The latest table, for the pool gauges. */
  public void table(NodeTable t) {
    this.table = t;
  }

  /** The text exposition format (version 0.0.4). */
  public String render() {
    StringBuilder sb = new StringBuilder(2048);
    sb.append("# HELP otela_requests_total Requests routed by this node, by service and response status.\n");
    sb.append("# TYPE otela_requests_total counter\n");
    new TreeMap<>(requests).forEach((key, s) -> {
      int sep = key.indexOf('\u0000');
      sb.append("otela_requests_total{service=\"").append(escape(key.substring(0, sep))).append("\",code=\"")
          .append(key.substring(sep + 1)).append("\"} ").append(s.count.sum()).append('\n');
    });
    sb.append("# HELP otela_request_duration_seconds Time from a request's arrival to its response headers.\n");
    sb.append("# TYPE otela_request_duration_seconds histogram\n");
    new TreeMap<>(latency).forEach((service, l) -> {
      String label = "service=\"" + escape(service) + "\"";
      long cumulative = 0;
      for (int i = 0; i < BUCKETS.length; i++) {
        cumulative += l.buckets[i].sum();
        sb.append("otela_request_duration_seconds_bucket{").append(label).append(",le=\"").append(BUCKETS[i])
            .append("\"} ").append(cumulative).append('\n');
      }
      long count = l.count.sum();
      sb.append("otela_request_duration_seconds_bucket{").append(label).append(",le=\"+Inf\"} ").append(count)
          .append('\n');
      sb.append("otela_request_duration_seconds_sum{").append(label).append("} ")
          .append(l.sumMicros.sum() / 1e6).append('\n');
      sb.append("otela_request_duration_seconds_count{").append(label).append("} ").append(count).append('\n');
    });
    sb.append("# HELP otela_streams_active Streamed responses this node is sending now.\n");
    sb.append("# TYPE otela_streams_active gauge\n");
    sb.append("otela_streams_active ").append(activeStreams.get()).append('\n');
    NodeTable t = table;
    if (t != null) {
      renderPool(sb, t);
    }
    return sb.toString();
  }

  private static void renderPool(StringBuilder sb, NodeTable t) {
    sb.append("# HELP otela_nodes Nodes in this node's table, by whether this node sees them connected.\n");
    sb.append("# TYPE otela_nodes gauge\n");
    long connected = t.records().keySet().stream().filter(t::isConnected).count();
    sb.append("otela_nodes{connected=\"true\"} ").append(connected).append('\n');
    sb.append("otela_nodes{connected=\"false\"} ").append(t.records().size() - connected).append('\n');
    Map<String, Integer> providers = new TreeMap<>();
    for (NodeRecord r : t.records().values()) {
      if (!t.isConnected(r.id()) || !r.status().isEmpty()) {
        continue;
      }
      for (ServiceRecord s : r.service()) {
        if (!s.routable()) {
          continue;
        }
        for (String g : s.identityGroup()) {
          if (g.startsWith("model=")) {
            providers.merge(s.name() + '\u0000' + g.substring(6), 1, Integer::sum);
          }
        }
      }
    }
    sb.append("# HELP otela_model_providers Connected, routable workers serving each model.\n");
    sb.append("# TYPE otela_model_providers gauge\n");
    providers.forEach((key, n) -> {
      int sep = key.indexOf('\u0000');
      sb.append("otela_model_providers{service=\"").append(escape(key.substring(0, sep))).append("\",model=\"")
          .append(escape(key.substring(sep + 1))).append("\"} ").append(n).append('\n');
    });
  }

  static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
