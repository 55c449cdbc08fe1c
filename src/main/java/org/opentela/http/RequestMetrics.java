package org.opentela.http;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.opentela.routing.Provider;
import org.opentela.routing.ProviderIndex;
import org.opentela.table.NodeTable;
import org.opentela.telemetry.TrafficSample;

/**
 * The request path's Prometheus series, kept by the Prometheus Java client in a registry of the node's, and
 * {@code GET /metrics}: the text format, or OpenMetrics (with exemplars) or the protobuf format (with native
 * histograms) when the scraper asks for them.
 *
 * <p>Series (names kept from the hand-written exporter this replaces, so dashboards keep working):
 * {@code otela_requests_total{service,code}}, {@code otela_request_duration_seconds{service}} (to response
 * headers; exemplars carry the trace id), {@code otela_streams_active}; per model,
 * {@code otela_model_requests_total{service,model,code}} and {@code otela_time_to_first_byte_seconds{service,model}}
 * (to the first body byte); {@code otela_overhead_seconds{service}}, the time otela itself added; at scrape
 * time, {@code otela_nodes{connected}} and {@code otela_model_providers{service,model}} from the table.
 *
 * <p>Label values stay few: service labels are names otela validated (at most {@value #MAX_SERVICES}, then
 * "other"), and a model label is a model the table serves ({@link #servedModels}), else {@value #OTHER_MODEL}.
 */
public final class RequestMetrics {
  /** Upper bounds of the latency buckets, in seconds: from sub-millisecond proxying to slow generations. */
  static final double[] BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
      120, 300};
  /** Upper bounds of the overhead buckets, in seconds: otela's own time is tens of microseconds to milliseconds. */
  static final double[] OVERHEAD_BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
      0.25, 1};
  /** Distinct service labels kept; later ones are counted as "other", so random paths cannot grow the map. */
  static final int MAX_SERVICES = 64;
  /** The model label of a request whose model the table does not serve. */
  public static final String OTHER_MODEL = "(other)";
  /** The model label of a request that names no model. */
  public static final String NO_MODEL = "(none)";

  private final PrometheusRegistry registry;
  private final Counter requests;
  private final Histogram duration;
  private final Gauge streams;
  private final Counter modelRequests;
  private final Histogram firstByte;
  private final Histogram overhead;
  private final Set<String> services = ConcurrentHashMap.newKeySet();
  private volatile Set<String> served = Set.of();

  /** Series in a registry of their own (tests). */
  public RequestMetrics() {
    this(new PrometheusRegistry());
  }

  private final java.util.concurrent.atomic.AtomicInteger answering = new java.util.concurrent.atomic.AtomicInteger();

  public RequestMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    requests = Counter.builder().name("otela_requests_total")
        .help("Requests routed by this node, by service and response status.")
        .labelNames("service", "code").register(registry);
    duration = Histogram.builder().name("otela_request_duration_seconds").unit(Unit.SECONDS)
        .help("Time from a request's arrival to its response headers.")
        .labelNames("service").classicUpperBounds(BUCKETS).register(registry);
    streams = Gauge.builder().name("otela_streams_active")
        .help("Streamed responses this node is sending now.").register(registry);
    modelRequests = Counter.builder().name("otela_model_requests_total")
        .help("Requests routed by this node to a service, by the model they named (a model the table serves, else "
            + OTHER_MODEL + ") and response status.")
        .labelNames("service", "model", "code").register(registry);
    firstByte = Histogram.builder().name("otela_time_to_first_byte_seconds").unit(Unit.SECONDS)
        .help("Time from a request's arrival to the first byte of its response body (a stream's first event).")
        .labelNames("service", "model").classicUpperBounds(BUCKETS).register(registry);
    overhead = Histogram.builder().name("otela_overhead_seconds").unit(Unit.SECONDS)
        .help("Time otela added to a request before its response headers: the head's time to headers minus the"
            + " backend's own, as its worker measured it (front end, routing, the cluster hop, the worker's proxy).")
        .labelNames("service").classicUpperBounds(OVERHEAD_BUCKETS).register(registry);
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** A request to {@code service} ("p2p" or "local" for pinned and local routes) answered with {@code status}. */
  public void record(String service, int status, long nanosToHeaders) {
    record(service, status, nanosToHeaders, null);
  }

  /** As {@link #record(String, int, long)}; a sampled request's {@code traceId} becomes the exemplar. */
  public void record(String service, int status, long nanosToHeaders, String traceId) {
    String label = serviceLabel(service);
    requests.labelValues(label, code(status)).inc();
    observe(duration, nanosToHeaders, traceId, label);
  }

  /** A request to {@code service} for {@code model} (null: none named) answered with {@code status}. */
  public void recordModel(String service, String model, int status) {
    modelRequests.labelValues(serviceLabel(service), modelLabel(model), code(status)).inc();
  }

  /** The first body byte of a request for {@code model} reached the client {@code nanos} after it arrived. */
  public void firstByte(String service, String model, long nanos, String traceId) {
    observe(firstByte, nanos, traceId, serviceLabel(service), modelLabel(model));
  }

  /** otela's own share of a request's time to headers (see {@code otela_overhead_seconds}). */
  public void overhead(String service, long nanos) {
    overhead.labelValues(serviceLabel(service)).observe(Math.max(0, nanos) / 1e9);
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
    streams.inc();
  }

  public void streamEnded() {
    streams.dec();
  }

  /** The models the table serves: the only model names used as label values. */
  public void servedModels(Set<String> models) {
    served = Set.copyOf(models);
  }

  /** {@code model} if the table serves it, {@value #NO_MODEL} if null, else {@value #OTHER_MODEL}. */
  public String modelLabel(String model) {
    if (model == null) {
      return NO_MODEL;
    }
    return served.contains(model) ? model : OTHER_MODEL;
  }

  private String serviceLabel(String service) {
    if (services.contains(service)) {
      return service;
    }
    if (services.size() >= MAX_SERVICES) {
      return "other";
    }
    services.add(service);
    return service;
  }

  private static String code(int status) {
    return Integer.toString(status);
  }

  private static void observe(Histogram h, long nanos, String traceId, String... labels) {
    double seconds = Math.max(0, nanos) / 1e9;
    if (traceId != null) {
      h.labelValues(labels).observeWithExemplar(seconds, Labels.of("trace_id", traceId));
    } else {
      h.labelValues(labels).observe(seconds);
    }
  }

  /** The counters the dashboard's history charts, per model label. */
  public TrafficSample sample() {
    Map<String, long[]> counts = new HashMap<>(); // model -> {requests, errors}
    for (CounterSnapshot.CounterDataPointSnapshot p : modelRequests.collect().getDataPoints()) {
      long[] c = counts.computeIfAbsent(p.getLabels().get("model"), k -> new long[2]);
      long n = (long) p.getValue();
      c[0] += n;
      if (p.getLabels().get("code").compareTo("500") >= 0) {
        c[1] += n;
      }
    }
    double[] bounds = new double[BUCKETS.length + 1];
    System.arraycopy(BUCKETS, 0, bounds, 0, BUCKETS.length);
    bounds[BUCKETS.length] = Double.POSITIVE_INFINITY;
    Map<String, long[]> buckets = new HashMap<>();
    for (HistogramSnapshot.HistogramDataPointSnapshot p : firstByte.collect().getDataPoints()) {
      long[] b = buckets.computeIfAbsent(p.getLabels().get("model"), k -> new long[bounds.length]);
      var classic = p.getClassicBuckets();
      for (int i = 0; i < classic.size() && i < b.length; i++) {
        b[i] += classic.getCount(i);
      }
    }
    Map<String, TrafficSample.ModelCounts> models = new HashMap<>();
    counts.forEach((model, c) -> models.put(model,
        new TrafficSample.ModelCounts(c[0], c[1], buckets.getOrDefault(model, new long[bounds.length]))));
    double open = streams.collect().getDataPoints().get(0).getValue();
    return new TrafficSample(System.currentTimeMillis(), models, bounds, (long) open);
  }

  /** The text exposition format (version 0.0.4), with the pool gauges of {@code table} (none if null). */
  public String render(NodeTable table) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    try {
      ExpositionFormats.init().getPrometheusTextFormatWriter().write(out, snapshots(table, java.util.List.of()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** The format a scraper's {@code Accept} header asks for (the text format when it names none we know). */
  public static ExpositionFormatWriter writerFor(String accept) {
    return FORMATS.findWriter(accept);
  }

  private static final ExpositionFormats FORMATS = ExpositionFormats.init();

  /** Writes every series, and the pool gauges of {@code table}, with {@code writer}. */
  public void write(OutputStream out, ExpositionFormatWriter writer, NodeTable table) throws IOException {
    write(out, writer, table, java.util.List.of());
  }

  /** As {@link #write(OutputStream, ExpositionFormatWriter, NodeTable)}, with {@code more} series (API keys' usage). */
  public void write(OutputStream out, ExpositionFormatWriter writer, NodeTable table, java.util.List<MetricSnapshot> more)
      throws IOException {
    writer.write(out, snapshots(table, more));
  }

  private MetricSnapshots snapshots(NodeTable table, java.util.List<MetricSnapshot> more) {
    MetricSnapshots.Builder all = MetricSnapshots.builder();
    more.forEach(all::metricSnapshot);
    for (MetricSnapshot s : registry.scrape()) {
      all.metricSnapshot(s);
    }
    if (table != null) {
      poolGauges(table).forEach(all::metricSnapshot);
    }
    return all.build();
  }

  private static java.util.List<MetricSnapshot> poolGauges(NodeTable t) {
    long connected = t.records().keySet().stream().filter(t::isConnected).count();
    GaugeSnapshot nodes = GaugeSnapshot.builder().name("otela_nodes")
        .help("Nodes in this node's table, by whether this node sees them connected.")
        .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.of("connected", "true"))
            .value(connected).build())
        .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.of("connected", "false"))
            .value(t.records().size() - connected).build())
        .build();
    GaugeSnapshot.Builder providers = GaugeSnapshot.builder().name("otela_model_providers")
        .help("Connected, routable workers serving each model.");
    // The router's own index, so "routable" here is what routing does (connected, not draining, healthy).
    ProviderIndex index = ProviderIndex.build(t, r -> new Provider(r.id(), null, 0, false));
    for (String service : index.services()) {
      ProviderIndex.ServiceProviders sp = index.service(service);
      for (String model : sp.models()) {
        providers.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
            .labels(Labels.of("service", service, "model", model))
            .value(sp.exact(ProviderIndex.MODEL_KEY, model).size()).build());
      }
    }
    return java.util.List.of(nodes, providers.build());
  }
}
