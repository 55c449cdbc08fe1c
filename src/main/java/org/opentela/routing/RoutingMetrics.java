package org.opentela.routing;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.util.HashMap;
import java.util.Map;
import org.opentela.proxy.Outcome;

/**
 * The router's Prometheus series: {@code otela_retries_total{service,outcome}} (attempts that failed before
 * any byte reached the client and were tried again on another worker), {@code otela_failovers_total{service}}
 * (requests answered by another worker than the first one chosen) and
 * {@code otela_worker_requests_in_flight{worker}} (this node's outstanding requests to each worker, the count
 * least-loaded selection uses). Written by the {@link Router} only; read by scrapes and the dashboard.
 */
public final class RoutingMetrics {
  private final Counter retries;
  private final Counter failovers;
  private final Gauge inFlight;

  public RoutingMetrics(PrometheusRegistry registry) {
    retries = Counter.builder().name("otela_retries_total")
        .help("Attempts that failed before any byte reached the client and were retried on another worker,"
            + " by service and how the attempt failed.")
        .labelNames("service", "outcome").register(registry);
    failovers = Counter.builder().name("otela_failovers_total")
        .help("Requests answered by another worker than the first one chosen, after that one failed.")
        .labelNames("service").register(registry);
    inFlight = Gauge.builder().name("otela_worker_requests_in_flight")
        .help("Requests this node has sent to each worker (by peer id) and not yet seen answered; a stream counts"
            + " until it ends.")
        .labelNames("worker").register(registry);
  }

  /** Series in a registry nobody scrapes (tests that do not look at them). */
  public static RoutingMetrics unregistered() {
    return new RoutingMetrics(new PrometheusRegistry());
  }

  void retried(String service, Outcome outcome) {
    retries.labelValues(service == null ? "p2p" : service, outcome.name().toLowerCase(java.util.Locale.ROOT)).inc();
  }

  void failedOver(String service) {
    failovers.labelValues(service == null ? "p2p" : service).inc();
  }

  void inFlight(String peerId, int requests) {
    inFlight.labelValues(peerId).set(requests);
  }

  void forget(String peerId) {
    inFlight.remove(peerId);
  }

  /** This node's in-flight requests per worker, by peer id (workers with none may be absent). */
  public Map<String, Integer> inFlight() {
    Map<String, Integer> out = new HashMap<>();
    for (GaugeSnapshot.GaugeDataPointSnapshot p : inFlight.collect().getDataPoints()) {
      out.put(p.getLabels().get("worker"), (int) p.getValue());
    }
    return out;
  }
}
