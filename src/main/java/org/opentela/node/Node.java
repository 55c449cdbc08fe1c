package org.opentela.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.remote.artery.tcp.SSLEngineProviderSetup;
import org.opentela.ApiError;
import org.opentela.PrivateFiles;
import org.opentela.config.UsageException;
import org.opentela.identity.NodeIdentity;
import org.opentela.platform.Hardware;
import org.opentela.platform.HardwareProbe;
import org.opentela.platform.Network;
import org.opentela.subprocess.BackendShutdown;
import org.opentela.trust.Enrolment;
import org.opentela.trust.PoolSslEngineProvider;
import org.opentela.trust.PoolTrust;
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
  /** How long a node waits for its actor system to terminate after every shutdown phase has run. */
  static final Duration TERMINATION_GRACE = Duration.ofSeconds(10);

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
    } catch (Enrolment.Refused e) {
      log.error("This node cannot join the closed pool: {}", e.getMessage());
      return 1;
    } catch (IOException e) {
      log.error("Cannot prepare this node's identity, data directory or certificate: {}", e.getMessage(), e);
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
      CoordinatedShutdown shutdown = CoordinatedShutdown.get(Adapter.toClassic(current));
      Termination.Outcome outcome = Termination.await(current.getWhenTerminated(),
          () -> shutdown.getShutdownReason().map(shutdown::runAll), TERMINATION_GRACE);
      CoordinatedShutdown.Reason reason = shutdown.getShutdownReason().orElse(CoordinatedShutdown.unknownReason());
      if (outcome == Termination.Outcome.STALLED) {
        // A fresh member in this JVM could not bind the stalled one's port: the process must go.
        log.warn("Every shutdown phase has run, but the actor system has not terminated {} s later (a remoting"
            + " stream that never completes): stopping this node anyway", TERMINATION_GRACE.toSeconds());
        return stopping || !BackendShutdown.replacesMember(reason) ? exitCode(reason) : 1;
      }
      if (stopping || !BackendShutdown.replacesMember(reason)) {
        return exitCode(reason);
      }
      if (revoked()) {
        return 1;
      }
      log.warn("This node's cluster member stopped ({}): starting a fresh member that rejoins the pool;"
          + " the backend keeps running", reason.equals(CoordinatedShutdown.clusterDowningReason())
          ? "downed by the cluster after being unreachable too long" : "restart to rejoin");
      system = start(context, config);
    }
  }

  private static int exitCode(CoordinatedShutdown.Reason reason) {
    return reason instanceof Guardian.FatalReason ? 1 : 0;
  }

  /**
   * In a closed pool, whether the head refuses this node for good: a head downs a revoked node's member,
   * possibly before the node has seen the replicated deny list, so the node asks (by renewing its
   * certificate) before it starts a fresh member that every handshake would refuse. A head that cannot
   * be reached says nothing: the node rejoins as it would in an open pool.
   */
  private boolean revoked() {
    if (!context.trust().renews()) {
      return false;
    }
    try {
      context.trust().renew(context.identity());
      return false;
    } catch (Enrolment.Refused e) {
      if (ApiError.PEER_REVOKED.code().equals(e.code)) {
        log.error("This node ({}) was revoked from the pool by its admin: it may not rejoin with this identity."
            + " Stopping. ({})", context.identity().peerId(), e.getMessage());
        return true;
      }
      log.warn("The head refused to renew this node's certificate before it rejoins: {}", e.getMessage());
      return false;
    } catch (IOException e) {
      log.warn("Could not reach a head to renew this node's certificate before it rejoins: {}", e.getMessage());
      return false;
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
    if (settings.auth().enabled()) {
      log.info("API keys are on (admin key from {}): clients need Authorization: Bearer <key>; create keys with"
          + " 'otela keys create --name NAME'", settings.auth().adminKeySource());
    } else {
      log.warn("API keys are off: anyone who reaches port {} can use every GPU of the pool and read its table."
          + " To require keys, start every node with OTELA_ADMIN_KEY=<secret> or --auth.admin_key_file FILE"
          + " (README: \"Sharing a pool\")", settings.httpPort());
    }
    Path nodeDir = settings.dataDir().resolve(identity.peerId());
    // 0700, and the table's store in it: other local users read nothing of the node's state.
    PrivateFiles.directory(nodeDir);
    PrivateFiles.directory(nodeDir.resolve("table-store"));
    String host = settings.publicAddr().isEmpty() ? Network.detectAddress() : settings.publicAddr();
    PoolTrust trust = PoolTrust.prepare(settings.trust(), identity, settings.dataDir(), nodeDir, settings.bootstrap());
    HardwareProbe probe = new HardwareProbe();
    Hardware hw = probe.get();
    return new NodeContext(settings, identity, host, nodeDir, hw, probe, trust);
  }

  /** Starts the actor system of a prepared node with the settings only known now. */
  public static ActorSystem<Guardian.Command> start(NodeContext node, Config config) {
    Map<String, Object> values = new HashMap<>(Map.of(
        "pekko.remote.artery.canonical.hostname", node.canonicalHost(),
        "pekko.cluster.roles", List.of(node.settings().role().clusterRole()),
        "pekko.cluster.distributed-data.durable.lmdb.dir", node.nodeDir().resolve("table-store").toString(),
        "pekko.management.http.hostname", managementHost(node),
        // Draining waits in this phase: give it the drain timeout plus a margin.
        "pekko.coordinated-shutdown.phases.service-requests-done.timeout",
        (node.settings().drainTimeout().toMillis() + 5000) + "ms",
        "pekko.coordinated-shutdown.phases.before-service-unbind.timeout", "10s"));
    // The backend is stopped in this phase, after the drain: SIGTERM, --service.stop_timeout, SIGKILL.
    node.settings().service().ifPresent(service -> values.put(
        "pekko.coordinated-shutdown.phases.service-stop.timeout", service.shutdownTimeout().toMillis() + "ms"));
    values.putAll(node.trust().pekkoSettings());
    if (node.settings().auth().enabled()) {
      // Pekko Management has no keys of its own: with API keys on, only this machine may reach it.
      values.put("pekko.management.http.bind-hostname", "127.0.0.1");
      values.put("pekko.management.http.hostname", "127.0.0.1");
    }
    Config computed = ConfigFactory.parseMap(values, "otela computed settings");
    ActorSystemSetup setup = ActorSystemSetup.create(BootstrapSetup.create(computed.withFallback(config)));
    if (node.trust().closed()) {
      setup = setup.and(SSLEngineProviderSetup.create(
          system -> new PoolSslEngineProvider(system, node.trust().denyList())));
    }
    return ActorSystem.create(Guardian.create(node), SYSTEM_NAME, setup);
  }

  /** Where the management port is reached: the canonical host if it is open, else the interface it binds. */
  private static String managementHost(NodeContext node) {
    String bind = node.settings().managementBind();
    return bind.equals("0.0.0.0") || bind.equals("::") ? node.canonicalHost() : bind;
  }
}
