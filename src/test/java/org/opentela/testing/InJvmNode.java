package org.opentela.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Assertions;
import org.opentela.node.Guardian;
import org.opentela.node.Node;
import org.opentela.node.NodeContext;
import org.opentela.cluster.Multiaddr;
import org.opentela.config.CommandLine;
import org.opentela.node.NodeSettings;
import com.typesafe.config.Config;

/**
 * A whole otela node in this JVM, started through the real command line with free ports and its own
 * data directory, for in-JVM multi-node tests. Always {@link #close()} it.
 */
public final class InJvmNode implements AutoCloseable {
  public final NodeContext context;
  public final Node node;
  public final int httpPort;
  public final int tcpPort;
  /** The admin key when the node was started with --auth.admin_key_file (API keys on), else null. */
  public final String adminKey;
  /** Completes with the exit code when the node stops for good (not when it only replaces its member). */
  public final java.util.concurrent.CompletableFuture<Integer> exit = new java.util.concurrent.CompletableFuture<>();

  private InJvmNode(Node node, int httpPort, int tcpPort, String adminKey) {
    this.adminKey = adminKey;
    this.node = node;
    this.context = node.context();
    this.httpPort = httpPort;
    this.tcpPort = tcpPort;
    Thread t = new Thread(() -> exit.complete(node.awaitExit()), "node-" + context.identity().peerId());
    t.setDaemon(true);
    t.start();
  }

  /** The node's current actor system (replaced when the node is downed and rejoins). */
  public ActorSystem<Guardian.Command> system() {
    return node.system();
  }

  /** Starts a node with {@code otela start <flags>} plus free ports and a data dir under {@code dataRoot}. */
  public static InJvmNode start(Path dataRoot, String... flags) {
    int http = Ports.free();
    int tcp = Ports.free();
    int mgmt = Ports.free();
    List<String> args = new ArrayList<>(List.of("start", "--port", "" + http, "--tcpport", "" + tcp,
        "--management.port", "" + mgmt, "--public-addr", "127.0.0.1", "--datadir", dataRoot.resolve("n" + tcp).toString()));
    args.addAll(Arrays.asList(flags));
    Config config = CommandLine.parse(args.toArray(String[]::new)).load(new Properties());
    try {
      String adminKey = config.getString("otela.auth.admin_key_file").isEmpty() ? null
          : java.nio.file.Files.readString(Path.of(config.getString("otela.auth.admin_key_file"))).trim();
      InJvmNode node = new InJvmNode(Node.create(config, NodeSettings.fromConfig(config, java.util.Map.of())).start(),
          http, tcp, adminKey);
      // The guardian spawns the node's actors asynchronously: wait until the API (and the keeper) answer.
      Eventually.eventually("node " + node.peerId() + " to serve its table", Duration.ofSeconds(30),
          () -> Assertions.assertNotNull(node.table(), "GET /v1/dnt/table answered"));
      return node;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public String peerId() {
    return context.identity().peerId();
  }

  /** The {@code --bootstrap.addr} other nodes use to join this one. */
  public String multiaddr() {
    return Multiaddr.of("127.0.0.1", tcpPort, peerId()).toString();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + httpPort + path;
  }

  public JsonNode table() {
    return Http.getJsonOrNull(url("/v1/dnt/table"), adminKey);
  }

  /** True if this node's table has exactly these peers, all connected. */
  public boolean seesConnected(String... peerIds) {
    return connectedView().equals(expectedView(peerIds));
  }

  /** Fails, saying what this node's table shows, unless it has exactly these peers, all connected. */
  public void assertSeesConnected(String... peerIds) {
    Assertions.assertEquals(expectedView(peerIds), connectedView(), () -> "the table of " + peerId());
  }

  /** Peer id -> connected, as this node's table shows it; "no table" if the API does not answer. */
  private java.util.Map<String, Object> connectedView() {
    JsonNode t = table();
    java.util.Map<String, Object> view = new java.util.TreeMap<>();
    if (t == null) {
      view.put("no table", true);
      return view;
    }
    t.fields().forEachRemaining(e -> view.put(e.getKey().substring(1), e.getValue().get("connected").asBoolean()));
    return view;
  }

  private static java.util.Map<String, Object> expectedView(String... peerIds) {
    java.util.Map<String, Object> view = new java.util.TreeMap<>();
    for (String id : peerIds) {
      view.put(id, true);
    }
    return view;
  }

  /**
   * Fails, saying what this node's cluster state shows, unless it has exactly {@code size} members, all Up,
   * none unreachable, and every member has seen this state (gossip convergence). Tests that crash a
   * member wait for this first: a crash while a member is still joining is a different scenario (the
   * split-brain resolver then counts the joining member on both sides).
   */
  public void assertConverged(int size) {
    org.apache.pekko.cluster.ClusterEvent.CurrentClusterState s =
        org.apache.pekko.cluster.typed.Cluster.get(system()).state();
    java.util.List<String> members = new java.util.ArrayList<>();
    boolean allUp = true;
    for (org.apache.pekko.cluster.Member m : s.getMembers()) {
      members.add(m.address().port().get() + ":" + m.status());
      allUp &= m.status() == org.apache.pekko.cluster.MemberStatus.up();
    }
    boolean converged = allUp && members.size() == size && s.getUnreachable().isEmpty()
        && s.getSeenBy().size() == size;
    Assertions.assertTrue(converged, () -> "the cluster state of " + peerId() + ": members " + members
        + ", unreachable " + s.getUnreachable() + ", seen by " + s.getSeenBy().size());
  }

  /** This node's table keeper, as other actors on it see it. */
  public org.apache.pekko.actor.typed.ActorRef<org.opentela.table.TableKeeper.Command> keeper() {
    return org.apache.pekko.actor.typed.ActorRefResolver.get(system())
        .resolveActorRef(system().address() + "/user/table");
  }

  /**
   * Registers a service on this node, as the subprocess supervisor does once its backend is ready, and
   * waits until this node's own table shows it (resending while a replaced member starts up).
   */
  public void publish(String name, int port, String... groups) {
    org.opentela.table.ServiceRecord s = org.opentela.table.ServiceRecord.builder(name).host("127.0.0.1").port(port)
        .identityGroup(groups).build();
    Eventually.eventually("node " + peerId() + " to register " + name, Duration.ofSeconds(30), () -> {
      if (!services().contains(name)) {
        keeper().tell(new org.opentela.table.TableKeeper.PublishService(s));
      }
      Assertions.assertTrue(services().contains(name), () -> "services in its own row: " + services());
    });
  }

  /** The names of the services in this node's own row, as its table shows it. */
  private List<String> services() {
    JsonNode t = table();
    JsonNode row = t == null ? null : t.get("/" + peerId());
    List<String> names = new ArrayList<>();
    if (row != null) {
      row.get("service").forEach(svc -> names.add(svc.get("name").asText()));
    }
    return names;
  }

  /** Stops the node gracefully (leaves the cluster) and waits for it. */
  @Override
  public void close() {
    if (!exit.isDone()) {
      node.stop();
      exit.orTimeout(60, java.util.concurrent.TimeUnit.SECONDS).join();
    }
  }

  /** Waits for the node to stop for good and returns its exit code. */
  public int awaitExit(Duration max) {
    return exit.orTimeout(max.toSeconds(), java.util.concurrent.TimeUnit.SECONDS).join();
  }
}
