package org.opentela;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.opentela.config.NodeSettings;
import org.opentela.identity.NodeIdentity;
import org.opentela.platform.HardwareProbe;
import org.opentela.platform.Network;
import org.opentela.subprocess.ServiceSettings;
import org.opentela.table.Hardware;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Boots a node: identity, state directory, Pekko config, then the actor system; returns the exit code. */
public final class Node {
  private static final Logger log = LoggerFactory.getLogger(Node.class);
  public static final String SYSTEM_NAME = "otela";

  private Node() {}

  /** Runs the node until it stops; returns the process exit code. */
  public static int run(Config config, NodeSettings settings) {
    // Settings mistakes are usage errors (exit code 2): find them before anything starts.
    ServiceSettings.fromConfig(config);
    NodeContext node;
    try {
      node = prepare(settings);
    } catch (IOException e) {
      log.error("Cannot prepare this node's identity or data directory: {}", e.getMessage(), e);
      return 1;
    }
    ActorSystem<Guardian.Command> system = start(node, config);
    system.getWhenTerminated().toCompletableFuture().join();
    return node.exitCode().get();
  }

  /** Identity, data directory, canonical host and a first hardware probe (logs the Peer ID at once). */
  public static NodeContext prepare(NodeSettings settings) throws IOException {
    NodeIdentity identity = settings.seed().isPresent()
        ? NodeIdentity.fromSeed(settings.seed().getAsLong())
        : NodeIdentity.loadOrCreate(settings.keyFile());
    log.info("Peer ID: {}", identity.peerId());
    Path nodeDir = settings.dataDir().resolve(identity.peerId());
    Files.createDirectories(nodeDir);
    String host = settings.publicAddr().isEmpty() ? Network.detectAddress() : settings.publicAddr();
    HardwareProbe probe = new HardwareProbe();
    Hardware hw = probe.get();
    return new NodeContext(settings, identity, host, nodeDir, hw, probe, new AtomicInteger());
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
    ServiceSettings.fromConfig(config).ifPresent(service -> values.put(
        "pekko.coordinated-shutdown.phases.service-stop.timeout", service.shutdownTimeout().toMillis() + "ms"));
    Config computed = ConfigFactory.parseMap(values, "otela computed settings");
    return ActorSystem.create(Guardian.create(node), SYSTEM_NAME, computed.withFallback(config));
  }
}
