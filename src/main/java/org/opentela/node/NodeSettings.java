package org.opentela.node;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.opentela.auth.AuthSettings;
import org.opentela.cluster.Multiaddr;
import org.opentela.config.ConfigReader;
import org.opentela.config.UsageException;
import org.opentela.http.HttpSettings;
import org.opentela.identity.IdentitySource;
import org.opentela.platform.Network;
import org.opentela.routing.RoutingSettings;
import org.opentela.subprocess.ServiceSettings;
import org.opentela.telemetry.TelemetrySettings;
import org.opentela.trust.TrustSettings;

/**
 * Settings of {@code otela start}, read once from config and validated. Feature packages read their own
 * subtrees into their own records, kept here so a node is configured by one value.
 */
public record NodeSettings(
    Mode mode,
    Role role,
    String publicAddr,
    IdentitySource identity,
    List<Multiaddr> bootstrap,
    Duration bootstrapRetry,
    String httpBind,
    int httpPort,
    int tcpPort,
    int managementPort,
    Path dataDir,
    Duration tableRefresh,
    Duration tablePruneAfter,
    double tableRefreshWritesPerSecond,
    Duration drainTimeout,
    RoutingSettings routing,
    HttpSettings http,
    Optional<ServiceSettings> service,
    TrustSettings trust,
    String managementBind,
    AuthSettings auth,
    TelemetrySettings telemetry) {

  public enum Mode { STANDALONE, NODE }

  public enum Role {
    HEAD, WORKER;

    /** The Pekko cluster role name. */
    public String clusterRole() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public NodeSettings {
    bootstrap = List.copyOf(bootstrap);
  }

  public static NodeSettings fromConfig(Config config) {
    return fromConfig(config, System.getenv());
  }

  /** {@code env}: the environment ({@value AuthSettings#ENV} turns API keys on). */
  public static NodeSettings fromConfig(Config config, java.util.Map<String, String> env) {
    ConfigReader r = new ConfigReader(config);
    Mode mode = r.choice("otela.mode", "standalone", "node").equals("standalone") ? Mode.STANDALONE : Mode.NODE;
    Role role = mode == Mode.STANDALONE ? Role.HEAD
        : r.choice("otela.role", "head", "worker").equals("head") ? Role.HEAD : Role.WORKER;
    // Values first, in flag order, so a bad value is reported before a missing flag.
    int port = r.port("otela.port");
    int tcpPort = r.port("otela.tcpport");
    int managementPort = r.port("otela.management.port");
    Path dataDir = r.path("otela.datadir");
    IdentitySource identity = IdentitySource.fromConfig(config);
    List<Multiaddr> bootstrap = new ArrayList<>();
    for (String a : r.list("otela.bootstrap.addr")) {
      try {
        bootstrap.add(Multiaddr.parse(a));
      } catch (IllegalArgumentException e) {
        throw new UsageException("--bootstrap.addr: " + e.getMessage());
      }
    }
    if (role == Role.WORKER && bootstrap.isEmpty()) {
      throw new UsageException("--bootstrap.addr: missing (expected: the head's address, which the head prints"
          + " at start as '--bootstrap.addr /ip4/.../tcp/43905/p2p/Qm...'; to start the first node of a pool,"
          + " use --mode standalone)");
    }
    String publicAddr = r.string("otela.public-addr");
    if (!publicAddr.isEmpty()) {
      Network.publicAddressProblem(publicAddr).ifPresent(problem -> {
        throw new UsageException("--public-addr: '" + publicAddr + "' is " + problem);
      });
    }
    return new NodeSettings(
        mode,
        role,
        publicAddr,
        identity,
        bootstrap,
        r.duration("otela.bootstrap.retry-interval"),
        r.string("otela.http.bind"),
        port,
        tcpPort,
        managementPort,
        dataDir,
        r.duration("otela.table.refresh-interval"),
        r.duration("otela.table.prune-after"),
        r.doubleInRange("otela.table.refresh-writes-per-second", 0, 1_000_000),
        r.duration("otela.drain.timeout"),
        RoutingSettings.fromConfig(config),
        HttpSettings.fromConfig(config),
        ServiceSettings.fromConfig(config),
        TrustSettings.fromConfig(config, role == Role.HEAD),
        r.string("otela.management.bind"),
        AuthSettings.fromConfig(config, env),
        TelemetrySettings.fromConfig(config));
  }

  /** The HTTP API port a node uses when --port is not given (reference.conf's default). */
  public static final int DEFAULT_HTTP_PORT = 8092;

  /** True if this node forms the cluster itself when no other seed answers. */
  public boolean selfBootstraps() {
    return mode == Mode.STANDALONE || (role == Role.HEAD && bootstrap.isEmpty());
  }
}
