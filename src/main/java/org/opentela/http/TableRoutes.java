package org.opentela.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

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
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.opentela.Json;
import org.opentela.auth.Access;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.TableKeeper;

/**
 * {@code GET /v1/health}, {@code GET /v1/dnt/table} and {@code GET /v1/dnt/peers}.
 */
public final class TableRoutes {
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);

  record Health(String status) {}

  record PeerView(String id, String address, String status, List<String> roles, boolean reachable, boolean self) {}

  record PeersView(List<PeerView> peers) {}

  private final ActorSystem<?> system;
  private final ActorRef<TableKeeper.Command> keeper;
  private final Access access;

  public TableRoutes(ActorSystem<?> system, ActorRef<TableKeeper.Command> keeper) {
    this(system, keeper, Access.OFF);
  }

  /** With API keys on ({@code access}), {@code /v1/dnt/*} answers the admin key only. */
  public TableRoutes(ActorSystem<?> system, ActorRef<TableKeeper.Command> keeper, Access access) {
    this.system = system;
    this.keeper = keeper;
    this.access = access;
  }

  public Route route() {
    return pathPrefix("v1", () -> concat(
        path("health", () -> get(() -> complete(StatusCodes.OK, new Health("ok"), Jackson.marshaller(Json.MAPPER)))),
        pathPrefix("dnt", () -> Guard.adminOnly(access, () -> concat(
            path("table", () -> get(() -> onSuccess(table(), t ->
                complete(StatusCodes.OK, NodeView.table(t), Jackson.marshaller(Json.MAPPER))))),
            path("peers", () -> get(() -> onSuccess(table(), t ->
                complete(StatusCodes.OK, peers(t), Jackson.marshaller(Json.MAPPER))))))))));
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
