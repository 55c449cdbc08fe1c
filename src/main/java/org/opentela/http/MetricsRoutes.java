package org.opentela.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.opentela.auth.Access;
import org.opentela.auth.UsageCounts;
import org.opentela.table.NodeTable;
import org.opentela.table.TableKeeper;

/**
 * {@code GET /metrics}: every series of {@link RequestMetrics}' registry and the pool gauges of this node's
 * table, in the exposition format the scraper's {@code Accept} asks for: OpenMetrics (with exemplars) for
 * {@code application/openmetrics-text}, protobuf (with native histograms) for Prometheus's protobuf type,
 * else the text format 0.0.4.
 */
final class MetricsRoutes {
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
  /** The writers' content types, parsed once by Pekko. */
  private static final Map<String, ContentType> FORMAT_TYPES = new ConcurrentHashMap<>();

  private final ActorSystem<?> system;
  private final ActorRef<TableKeeper.Command> keeper;
  private final RequestMetrics metrics;
  private final Access access;

  /** {@code access}: with API keys on, the scrape adds each key's usage ({@code otela_key_*}). */
  MetricsRoutes(ActorSystem<?> system, ActorRef<TableKeeper.Command> keeper, RequestMetrics metrics, Access access) {
    this.system = system;
    this.keeper = keeper;
    this.metrics = metrics;
    this.access = access;
  }

  Route route() {
    return path("metrics", () -> get(() -> optionalHeaderValueByName("Accept", accept ->
        onSuccess(table(), t -> complete(scrape(accept.orElse(null), t))))));
  }

  private HttpResponse scrape(String accept, NodeTable table) {
    ExpositionFormatWriter writer = RequestMetrics.writerFor(accept);
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      metrics.write(out, writer, table, access.enabled() ? keyUsage() : List.of());
    } catch (IOException e) {
      throw new UncheckedIOException("writing the metrics failed", e);
    }
    ContentType type = FORMAT_TYPES.computeIfAbsent(writer.getContentType(), ContentTypes::parse);
    return HttpResponse.create().withEntity(HttpEntities.create(type, out.toByteArray()));
  }

  /** The API keys' usage since this node started, by key name and model (never by secret). */
  private List<MetricSnapshot> keyUsage() {
    Map<List<String>, UsageCounts.Counts> totals = access.usage().totalsByName(access.keys());
    CounterSnapshot.Builder requests = CounterSnapshot.builder().name("otela_key_requests")
        .help("Requests answered under each API key by this node, by model.");
    CounterSnapshot.Builder errors = CounterSnapshot.builder().name("otela_key_errors")
        .help("Requests under each API key answered with an error (4xx, 5xx, a broken stream).");
    CounterSnapshot.Builder tokens = CounterSnapshot.builder().name("otela_key_tokens")
        .help("Tokens used under each API key, as the responses' usage reports them.");
    totals.forEach((k, c) -> {
      Labels labels = Labels.of("key", k.get(0), "model", k.get(1));
      requests.dataPoint(point(labels, c.requests()));
      errors.dataPoint(point(labels, c.errors()));
      tokens.dataPoint(point(labels.add("type", "prompt"), c.prompt()));
      tokens.dataPoint(point(labels.add("type", "completion"), c.completion()));
    });
    return List.of(requests.build(), errors.build(), tokens.build());
  }

  private static CounterSnapshot.CounterDataPointSnapshot point(Labels labels, long value) {
    return CounterSnapshot.CounterDataPointSnapshot.builder().labels(labels).value(value).build();
  }

  private CompletionStage<NodeTable> table() {
    return AskPattern.ask(keeper, TableKeeper.GetTable::new, ASK_TIMEOUT, system.scheduler());
  }
}
