package org.opentela.http;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.opentela.routing.Provider;
import org.opentela.routing.ProviderIndex;
import org.opentela.table.NodeTable;

/**
 * Prometheus metrics of the requests this node routes, and of the pool as it sees it, rendered in the
 * text exposition format at {@code GET /metrics}. Recording is lock-free (two map lookups and a few adds
 * per request). Label values come from routes otela knows (service names are validated before they are
 * recorded), so their number stays small.
 */
public final class RequestMetrics {
  /** Upper bounds of the latency buckets, in seconds: from sub-millisecond proxying to slow generations. */
  static final double[] BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
      120, 300};

  /** Distinct service labels kept; later ones are counted as "other", so random paths cannot grow the map. */
  static final int MAX_SERVICES = 64;

  /** One service's requests: counts by status, and the latency histogram. */
  private static final class Series {
    final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
    final LongAdder[] buckets = new LongAdder[BUCKETS.length];
    final LongAdder count = new LongAdder();
    final LongAdder sumMicros = new LongAdder();

    Series() {
      for (int i = 0; i < buckets.length; i++) {
        buckets[i] = new LongAdder();
      }
    }

    void observe(int status, long nanos) {
      byStatus.computeIfAbsent(status, k -> new LongAdder()).increment();
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

  private final Map<String, Series> services = new ConcurrentHashMap<>();
  private final AtomicLong activeStreams = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicInteger answering = new java.util.concurrent.atomic.AtomicInteger();

  /** A request to {@code service} ("p2p" or "local" for pinned and local routes) answered with {@code status}. */
  public void record(String service, int status, long nanosToHeaders) {
    if (services.size() >= MAX_SERVICES && !services.containsKey(service)) {
      service = "other";
    }
    services.computeIfAbsent(service, k -> new Series()).observe(status, nanosToHeaders);
  }

  /** A client's request arrived; {@link #answered()} follows once its response's last byte is out (or failed). */
  void arrived() {
    answering.incrementAndGet();
  }

  void answered() {
    answering.decrementAndGet();
  }

  /** Client requests being answered now, streamed responses included until they end: what a drain waits for. */
  public int answering() {
    return answering.get();
  }

  public void streamStarted() {
    activeStreams.incrementAndGet();
  }

  public void streamEnded() {
    activeStreams.decrementAndGet();
  }

  /** The text exposition format (version 0.0.4), with the pool gauges of {@code table} (none if null). */
  public String render(NodeTable table) {
    Map<String, Series> sorted = new TreeMap<>(services);
    StringBuilder sb = new StringBuilder(2048);
    sb.append("# HELP otela_requests_total Requests routed by this node, by service and response status.\n");
    sb.append("# TYPE otela_requests_total counter\n");
    sorted.forEach((service, s) -> new TreeMap<>(s.byStatus).forEach((status, n) ->
        sb.append("otela_requests_total{service=\"").append(escape(service)).append("\",code=\"").append(status)
            .append("\"} ").append(n.sum()).append('\n')));
    sb.append("# HELP otela_request_duration_seconds Time from a request's arrival to its response headers.\n");
    sb.append("# TYPE otela_request_duration_seconds histogram\n");
    sorted.forEach((service, s) -> {
      String label = "service=\"" + escape(service) + "\"";
      long cumulative = 0;
      for (int i = 0; i < BUCKETS.length; i++) {
        cumulative += s.buckets[i].sum();
        sb.append("otela_request_duration_seconds_bucket{").append(label).append(",le=\"").append(BUCKETS[i])
            .append("\"} ").append(cumulative).append('\n');
      }
      long count = s.count.sum();
      sb.append("otela_request_duration_seconds_bucket{").append(label).append(",le=\"+Inf\"} ").append(count)
          .append('\n');
      sb.append("otela_request_duration_seconds_sum{").append(label).append("} ")
          .append(s.sumMicros.sum() / 1e6).append('\n');
      sb.append("otela_request_duration_seconds_count{").append(label).append("} ").append(count).append('\n');
    });
    sb.append("# HELP otela_streams_active Streamed responses this node is sending now.\n");
    sb.append("# TYPE otela_streams_active gauge\n");
    sb.append("otela_streams_active ").append(activeStreams.get()).append('\n');
    if (table != null) {
      renderPool(sb, table);
    }
    return sb.toString();
  }

  private static void renderPool(StringBuilder sb, NodeTable t) {
    sb.append("# HELP otela_nodes Nodes in this node's table, by whether this node sees them connected.\n");
    sb.append("# TYPE otela_nodes gauge\n");
    long connected = t.records().keySet().stream().filter(t::isConnected).count();
    sb.append("otela_nodes{connected=\"true\"} ").append(connected).append('\n');
    sb.append("otela_nodes{connected=\"false\"} ").append(t.records().size() - connected).append('\n');
    sb.append("# HELP otela_model_providers Connected, routable workers serving each model.\n");
    sb.append("# TYPE otela_model_providers gauge\n");
    // The router's own index, so "routable" here is what routing does (connected, not draining, healthy).
    ProviderIndex index = ProviderIndex.build(t, r -> new Provider(r.id(), null, 0, false));
    for (String service : index.services()) {
      ProviderIndex.ServiceProviders sp = index.service(service);
      for (String model : sp.models()) {
        sb.append("otela_model_providers{service=\"").append(escape(service)).append("\",model=\"")
            .append(escape(model)).append("\"} ").append(sp.exact(ProviderIndex.MODEL_KEY, model).size()).append('\n');
      }
    }
  }

  static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
