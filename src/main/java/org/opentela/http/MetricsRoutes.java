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
import java.time.Duration;
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

  MetricsRoutes(ActorSystem<?> system, ActorRef<TableKeeper.Command> keeper, RequestMetrics metrics) {
    this.system = system;
    this.keeper = keeper;
    this.metrics = metrics;
  }

  Route route() {
    return path("metrics", () -> get(() -> optionalHeaderValueByName("Accept", accept ->
        onSuccess(table(), t -> complete(scrape(accept.orElse(null), t))))));
  }

  private HttpResponse scrape(String accept, NodeTable table) {
    ExpositionFormatWriter writer = RequestMetrics.writerFor(accept);
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      metrics.write(out, writer, table);
    } catch (IOException e) {
      throw new UncheckedIOException("writing the metrics failed", e);
    }
    ContentType type = FORMAT_TYPES.computeIfAbsent(writer.getContentType(), ContentTypes::parse);
    return HttpResponse.create().withEntity(HttpEntities.create(type, out.toByteArray()));
  }

  private CompletionStage<NodeTable> table() {
    return AskPattern.ask(keeper, TableKeeper.GetTable::new, ASK_TIMEOUT, system.scheduler());
  }
}
