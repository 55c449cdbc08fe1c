package org.opentela.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.opentela.config.UsageException;
import org.opentela.identity.NodeIdentity;
import org.opentela.platform.Hardware;
import org.opentela.platform.HardwareProbe;
import org.opentela.platform.Network;
import org.opentela.subprocess.BackendShutdown;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running node: identity, state directory, Pekko config, then the actor system. When the cluster downs
 * this node (it was cut off too long) or it must rejoin its pool, a fresh actor system replaces the old
 * one in this JVM: same identity and ports, and the backend keeps running (the new supervisor adopts it).
 */
public final class Node {
  private static final Logger log = LoggerFactory.getLogger(Node.class);
  public static final String SYSTEM_NAME = "otela";

  private final NodeContext context;
  private final Config config;
  private volatile ActorSystem<Guardian.Command> system;
  private volatile boolean stopping;

  private Node(NodeContext context, Config config) {
    this.context = context;
    this.config = config;
  }

  /**
   * Runs a node until it stops; returns the process exit code. Ports that are in use are reported first,
   * all of them at once, as a {@link UsageException} (exit code 2).
   */
  public static int run(Config config, NodeSettings settings) {
    String clashes = PortCheck.clashes(PortCheck.bindings(settings, config));
    if (clashes != null) {
      throw new UsageException(clashes);
    }
    try {
      return new Node(prepare(settings), config).run();
    } catch (IOException e) {
      log.error("Cannot prepare this node's identity or data directory: {}", e.getMessage(), e);
      return 1;
    }
  }

  /** A node ready to {@link #start()}. */
  public static Node create(Config config, NodeSettings settings) throws IOException {
    return new Node(prepare(settings), config);
  }

  public NodeContext context() {
    return context;
  }

  /** The current actor system (a new one after each member replacement). */
  public ActorSystem<Guardian.Command> system() {
    return system;
  }

  /** Starts the first actor system; {@link #awaitExit()} then keeps the node running. */
  public Node start() {
    system = start(context, config);
    return this;
  }

  /** Blocks until the node stops for good, replacing its member when needed; returns the exit code. */
  public int awaitExit() {
    while (true) {
      ActorSystem<Guardian.Command> current = system;
      current.getWhenTerminated().toCompletableFuture().join();
      CoordinatedShutdown.Reason reason = CoordinatedShutdown.get(Adapter.toClassic(current)).getShutdownReason()
          .orElse(CoordinatedShutdown.unknownReason());
      if (stopping || !BackendShutdown.replacesMember(reason)) {
        return reason instanceof Guardian.FatalReason ? 1 : 0;
      }
      log.warn("This node's cluster member stopped ({}): starting a fresh member that rejoins the pool;"
          + " the backend keeps running", reason.equals(CoordinatedShutdown.clusterDowningReason())
          ? "downed by the cluster after being unreachable too long" : "restart to rejoin");
      system = start(context, config);
    }
  }

  public int run() {
    return start().awaitExit();
  }

  /** Stops the node for good (drain, leave, stop the backend). */
  public void stop() {
    stopping = true;
    system.terminate();
  }

  /** Identity, data directory, canonical host and a first hardware probe (logs the Peer ID at once). */
  public static NodeContext prepare(NodeSettings settings) throws IOException {
    NodeIdentity identity = settings.identity().loadOrCreate();
    log.info("Peer ID: {}", identity.peerId());
    Path nodeDir = settings.dataDir().resolve(identity.peerId());
    Files.createDirectories(nodeDir);
    String host = settings.publicAddr().isEmpty() ? Network.detectAddress() : settings.publicAddr();
    HardwareProbe probe = new HardwareProbe();
    Hardware hw = probe.get();
    return new NodeContext(settings, identity, host, nodeDir, hw, probe);
  }

  /** Starts the actor system of a prepared node with the settings only known now. */
  public static ActorSystem<Guardian.Command> start(NodeContext node, Config config) {
    Map<String, Object> values = new HashMap<>(Map.of(
        "pekko.remote.artery.canonical.hostname", node.canonicalHost(),
        "pekko.cluster.roles", List.of(node.settings().role().clusterRole()),
        "pekko.cluster.distributed-data.durable.lmdb.dir", node.nodeDir().resolve("table-store").toString(),
        "pekko.management.http.hostname", node.canonicalHost(),
        // Draining waits in this phase: give it the drain timeout plus a margin.
        "pekko.coordinated-shutdown.phases.service-requests-done.timeout",
        (node.settings().drainTimeout().toMillis() + 5000) + "ms",
        "pekko.coordinated-shutdown.phases.before-service-unbind.timeout", "10s"));
    // The backend is stopped in this phase, after the drain: SIGTERM, --service.stop_timeout, SIGKILL.
    node.settings().service().ifPresent(service -> values.put(
        "pekko.coordinated-shutdown.phases.service-stop.timeout", service.shutdownTimeout().toMillis() + "ms"));
    Config computed = ConfigFactory.parseMap(values, "otela computed settings");
    return ActorSystem.create(Guardian.create(node), SYSTEM_NAME, computed.withFallback(config));
  }
}
