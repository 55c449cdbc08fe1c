package org.opentela.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.apache.pekko.actor.typed.ActorSystem;
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
  /** Completes with the exit code when the node stops for good (not when it only replaces its member). */
  public final java.util.concurrent.CompletableFuture<Integer> exit = new java.util.concurrent.CompletableFuture<>();

  private InJvmNode(Node node, int httpPort, int tcpPort) {
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
      InJvmNode node = new InJvmNode(Node.create(config, NodeSettings.fromConfig(config)).start(), http, tcp);
      // The guardian spawns the node's actors asynchronously: wait until the API (and the keeper) answer.
      Await.until("node " + node.peerId() + " serves its table", Duration.ofSeconds(30), () -> node.table() != null);
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
    return Http.getJsonOrNull(url("/v1/dnt/table"));
  }

  /** True if this node's table has exactly these peers, all connected. */
  public boolean seesConnected(String... peerIds) {
    JsonNode t = table();
    if (t == null || t.size() != peerIds.length) {
      return false;
    }
    for (String id : peerIds) {
      JsonNode row = t.get("/" + id);
      if (row == null || !row.get("connected").asBoolean()) {
        return false;
      }
    }
    return true;
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
    Await.until("node " + peerId() + " registers " + name, Duration.ofSeconds(30), () -> {
      keeper().tell(new org.opentela.table.TableKeeper.PublishService(s));
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      JsonNode row = table() == null ? null : table().get("/" + peerId());
      if (row == null) {
        return false;
      }
      for (JsonNode svc : row.get("service")) {
        if (svc.get("name").asText().equals(name)) {
          return true;
        }
      }
      return false;
    });
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
