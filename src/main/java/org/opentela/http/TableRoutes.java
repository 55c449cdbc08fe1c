package org.opentela.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.opentela.Json;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.TableKeeper;

/**
 * {@code GET /v1/health}, {@code GET /v1/dnt/table}, {@code GET /v1/dnt/peers}, and {@code GET /metrics}
 * (this node's routed requests, open streams, and the pool as its table shows it, in the exposition format the
 * scraper asks for: see {@link RequestMetrics}).
 */
public final class TableRoutes {
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
  /** The content types of the exposition formats, parsed once (Pekko's own header parsing, from the writers' own). */
  private static final Map<String, ContentType> FORMAT_TYPES = new java.util.concurrent.ConcurrentHashMap<>();

  record Health(String status) {}

  record PeerView(String id, String address, String status, List<String> roles, boolean reachable, boolean self) {}

  record PeersView(List<PeerView> peers) {}

  private final ActorSystem<?> system;
  private final ActorRef<TableKeeper.Command> keeper;
  private final RequestMetrics metrics;

  public TableRoutes(ActorSystem<?> system, ActorRef<TableKeeper.Command> keeper, RequestMetrics metrics) {
    this.system = system;
    this.keeper = keeper;
    this.metrics = metrics;
  }

  public Route route() {
    return concat(path("metrics", () -> get(() -> optionalHeaderValueByName("Accept", accept ->
            onSuccess(table(), t -> complete(scrape(accept.orElse(null), t)))))),
        pathPrefix("v1", () -> concat(
        path("health", () -> get(() -> complete(StatusCodes.OK, new Health("ok"), Jackson.marshaller(Json.MAPPER)))),
        pathPrefix("dnt", () -> concat(
            path("table", () -> get(() -> onSuccess(table(), t ->
                complete(StatusCodes.OK, NodeView.table(t), Jackson.marshaller(Json.MAPPER))))),
            path("peers", () -> get(() -> onSuccess(table(), t ->
                complete(StatusCodes.OK, peers(t), Jackson.marshaller(Json.MAPPER))))))))));
  }

  /**
   * Every series in the format {@code accept} asks for: OpenMetrics (with exemplars) for
   * {@code application/openmetrics-text}, protobuf (with native histograms) for Prometheus's protobuf type,
   * else the text format 0.0.4.
   */
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

  /** Cluster members as this node sees them, with the peer id each one registered in the table. */
  private PeersView peers(NodeTable table) {
    Map<String, String> idByAddress = new HashMap<>();
    for (NodeRecord r : table.records().values()) {
      idByAddress.put(r.clusterAddress() + "#" + r.clusterUid(), r.id());
    }
    Cluster cluster = Cluster.get(system);
    ClusterEvent.CurrentClusterState state = cluster.state();
    List<PeerView> out = new ArrayList<>();
    for (Member m : state.getMembers()) {
      String key = m.address() + "#" + m.uniqueAddress().longUid();
      List<String> roles = new ArrayList<>(m.getRoles());
      roles.removeIf(r -> r.startsWith("dc-"));
      out.add(new PeerView(idByAddress.get(key), m.address().toString(), m.status().toString(), roles,
          !state.getUnreachable().contains(m), m.equals(cluster.selfMember())));
    }
    return new PeersView(out);
  }
}
