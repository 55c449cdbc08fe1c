package org.opentela.node;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.opentela.Version;
import java.util.List;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.opentela.auth.Access;
import org.opentela.cluster.Bootstrapper;
import org.opentela.subprocess.BackendShutdown;
import org.opentela.cluster.Drain;
import org.opentela.cluster.MembershipLog;
import org.opentela.cluster.Multiaddr;
import org.opentela.cluster.PeerIdentity;
import org.opentela.http.HttpApi;
import org.opentela.http.HttpServer;
import org.opentela.http.RequestMetrics;
import org.opentela.proxy.ServiceProxy;
import org.opentela.routing.Router;
import org.opentela.routing.RoutingMetrics;
import org.opentela.subprocess.SubprocessSupervisor;
import org.opentela.table.NodeRecord;
import org.opentela.table.TableKeeper;
import org.opentela.trust.CertRenewer;
import org.opentela.trust.EnrolmentRoutes;
import org.opentela.trust.PoolTrust;
import org.opentela.trust.Revocations;
import org.opentela.telemetry.PoolHistory;
import org.opentela.telemetry.Tracing;

/**
 * The root actor of a node: spawns the node's actors by role, binds the HTTP API and Pekko Management,
 * tells the user what to do next, and stops the node (with an exit code) when something fatal happens.
 */
public final class Guardian {
  /** The table keeper's own pool (application.conf): the control plane's CPU work beside the request path's. */
  public static final String TABLE_DISPATCHER = "otela-table-dispatcher";

  public sealed interface Command {}

  /** Something that makes this node useless (wrong bootstrap peer, port in use): log it, exit non-zero. */
  public record Fatal(String message) implements Command {}

  /** This node's cluster member must be replaced by a fresh one (same JVM, backend kept running). */
  public record Restart(String why) implements Command {}

  private record HttpBound(HttpServer binding) implements Command {}

  private record ManagementStarted(String uri) implements Command {}

  private record StartFailed(String what, Throwable cause) implements Command {}

  private Guardian() {}

  public static Behavior<Command> create(NodeContext node) {
    return Behaviors.setup(ctx -> {
      // Name the logger for this class: Pekko would otherwise name it after whatever is on the stack.
      ctx.setLoggerName(Guardian.class);
      NodeSettings s = node.settings();
      String role = s.role().clusterRole();
      ctx.spawn(MembershipLog.create(), "membership-log");
      NodeRecord initial = NodeRecord.initial(node.identity(), role, s.publicAddr(), node.hardware(), s.httpPort());
      TableKeeper.Settings tableSettings = TableKeeper.Settings.of(s.tableRefresh(), s.tablePruneAfter(),
          s.tableRefreshWritesPerSecond());
      ActorRef<TableKeeper.Command> keeper = ctx.spawn(TableKeeper.supervised(TableKeeper.create(initial,
              tableSettings, node.hardwareProbe(),
              node.trust().recordSeal(node.identity()))), "table",
          // Off the request path's pool: verifying the records of nodes that join is CPU work that would
          // queue behind requests there, and requests behind it (bench/results.md, "Pool formation").
          DispatcherSelector.fromConfig(TABLE_DISPATCHER));
      ctx.spawn(PeerIdentity.create(node.identity(), role, keeper), PeerIdentity.NAME);
      s.service().ifPresent(service ->
          ctx.spawn(SubprocessSupervisor.create(service, node.nodeDir(), keeper), "subprocess-" + service.name()));
      ctx.spawn(Bootstrapper.create(
          new Bootstrapper.Plan(node.identity(), Version.CURRENT, s.selfBootstraps(), s.bootstrap(), s.bootstrapRetry()),
          keeper, ctx.messageAdapter(Bootstrapper.Verdict.class, Guardian::fromBootstrapper)), "bootstrap");

      // What this node measures: one Prometheus registry for every series, the tracer (off unless configured).
      PrometheusRegistry registry = new PrometheusRegistry();
      RequestMetrics metrics = new RequestMetrics(registry);
      RoutingMetrics routingMetrics = new RoutingMetrics(registry);
      Tracing tracing = Tracing.start(s.telemetry(), node.identity().peerId(), role);
      CoordinatedShutdown.get(Adapter.toClassic(ctx.getSystem())).addTask(
          CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "flush-traces",
          () -> tracing.shutdown().thenApply(v -> org.apache.pekko.Done.getInstance()));
      ActorRef<PoolHistory.Command> history = ctx.spawn(PoolHistory.create(keeper, metrics::sample,
          metrics::servedModels, PoolHistory.Settings.DEFAULT), PoolHistory.NAME);

      ActorRef<ServiceProxy.Command> proxy = ctx.spawn(ServiceProxy.create(keeper, s.httpPort(),
          s.routing().firstByteTimeout(), backendAuthorization(s), tracing), ServiceProxy.NAME);
      ctx.spawn(ServiceProxy.bulkEntry(proxy), ServiceProxy.BULK_NAME);
      Access access = Access.create(s.auth(), s.routing().requestTimeout());
      Access.Actors authActors = access.start(ctx);
      Drain.register(ctx.getSystem(), keeper, proxy, metrics::answering, s.drainTimeout());
      // Close the backend connection pools before the actor system goes: otherwise each pool reports
      // an "unexpected" shutdown as the system stops under it.
      CoordinatedShutdown.get(Adapter.toClassic(ctx.getSystem())).addTask(
          CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-backend-pools",
          () -> Http.get(ctx.getSystem()).shutdownAllConnectionPools().thenApply(v -> org.apache.pekko.Done.getInstance()));
      ActorRef<Router.Command> router = ctx.spawn(
          Router.create(keeper, proxy, ServiceProxy.remote(ctx.getSystem()), s.routing(), routingMetrics, tracing),
          Router.NAME);
      PoolTrust trust = node.trust();
      if (trust.closed()) {
        ctx.spawn(Revocations.create(trust, node.identity().peerId(), s.role() == NodeSettings.Role.HEAD, keeper,
            ctx.messageAdapter(Revocations.SelfRevoked.class, m -> new Fatal(m.message()))), "revocations");
      }
      if (trust.renews()) {
        ctx.spawn(CertRenewer.create(trust, node.identity()), "cert-renewer");
      }
      List<org.apache.pekko.http.javadsl.server.Route> enrolment = trust.enroller()
          .map(e -> List.of(new EnrolmentRoutes(ctx.getSystem(), e).route())).orElse(List.of());
      ctx.pipeToSelf(HttpApi.bind(ctx.getSystem(), s.httpBind(), s.httpPort(),
              new HttpApi.Endpoints(keeper, router, proxy, s.routing(), s.http(), node.identity().peerId(),
                  trust.closed(), access, authActors),
              new HttpApi.Telemetry(metrics, routingMetrics, tracing, history), enrolment),
          (binding, err) -> err == null ? new HttpBound(binding) : new StartFailed("HTTP API on port "
              + s.httpPort() + " (--port)", err));
      PekkoManagement management = PekkoManagement.get(Adapter.toClassic(ctx.getSystem()));
      // Free the management port for a member that replaces this one in the same JVM.
      CoordinatedShutdown.get(Adapter.toClassic(ctx.getSystem())).addTask(CoordinatedShutdown.PhaseServiceUnbind(),
          "stop-management", management::stop);
      ctx.pipeToSelf(management.start(),
          (uri, err) -> err == null ? new ManagementStarted(uri.toString())
              : new StartFailed("Pekko Management on port " + s.managementPort() + " (--management.port)", err));
      return running(ctx, node, null, null);
    });
  }

  private static java.util.Map<String, String> backendAuthorization(NodeSettings s) {
    return s.service().filter(svc -> svc.authorization() != null)
        .map(svc -> java.util.Map.of(svc.name(), svc.authorization())).orElse(java.util.Map.of());
  }

  private static Behavior<Command> running(ActorContext<Command> ctx, NodeContext node, HttpServer http,
      String management) {
    return Behaviors.receive(Command.class)
        .onMessage(HttpBound.class, m -> onHttpBound(ctx, node, management, m))
        .onMessage(ManagementStarted.class, m -> onManagementStarted(ctx, node, http, m))
        .onMessage(StartFailed.class, m -> fatal(ctx, "Could not start the " + m.what() + ": "
            + m.cause().getMessage() + ". Is another process using that port? Choose another with the flag."))
        .onMessage(Fatal.class, m -> fatal(ctx, m.message()))
        .onMessage(Restart.class, m -> restart(ctx, m))
        .build();
  }

  private static Behavior<Command> onHttpBound(ActorContext<Command> ctx, NodeContext node, String management,
      HttpBound m) {
    // Clients' requests to this node's own port get the drain timeout to finish, too.
    m.binding().addToCoordinatedShutdown(node.settings().drainTimeout(), ctx.getSystem());
    if (management != null) {
      announce(ctx, node, m.binding(), management);
    }
    return running(ctx, node, m.binding(), management);
  }

  private static Behavior<Command> onManagementStarted(ActorContext<Command> ctx, NodeContext node,
      HttpServer http, ManagementStarted m) {
    if (http != null) {
      announce(ctx, node, http, m.uri());
    }
    return running(ctx, node, http, m.uri());
  }

  private static Behavior<Command> restart(ActorContext<Command> ctx, Restart m) {
    ctx.getLog().warn(m.why());
    CoordinatedShutdown.get(Adapter.toClassic(ctx.getSystem())).runAll(BackendShutdown.NODE_RESTART);
    return Behaviors.ignore();
  }

  private static Behavior<Command> fatal(ActorContext<Command> ctx, String message) {
    ctx.getLog().error(message);
    CoordinatedShutdown.get(Adapter.toClassic(ctx.getSystem())).runAll(FatalReason.INSTANCE);
    return Behaviors.ignore();
  }

  private static Command fromBootstrapper(Bootstrapper.Verdict v) {
    return v instanceof Bootstrapper.Restart r ? new Restart(r.why()) : new Fatal(((Bootstrapper.Fatal) v).message());
  }

  /** The start-up lines that tell the user where this node is and what to do next. */
  private static void announce(ActorContext<Command> ctx, NodeContext node, HttpServer http, String management) {
    NodeSettings s = node.settings();
    int tcpPort = org.apache.pekko.cluster.typed.Cluster.get(ctx.getSystem()).selfMember().address().getPort().orElse(0);
    String host = node.canonicalHost();
    String self = Multiaddr.of(host, tcpPort, node.identity().peerId()).toString();
    String hostForUrl = host.contains(":") ? "[" + host + "]" : host;
    int apiPort = http.localAddress().getPort();
    var log = ctx.getLog();
    log.info("Mode: {}, role: {}", s.mode().name().toLowerCase(), s.role().clusterRole());
    log.info("Peer ID: {}", node.identity().peerId());
    log.info("Listen Addr: [{}] (cluster transport{}, bound on all interfaces)", self,
        node.trust().closed() ? ", TLS with mutual authentication" : "");
    log.info("HTTP API: http://{}:{} ; status page: http://{}:{}/v1/dnt/table", hostForUrl, apiPort, hostForUrl, apiPort);
    log.info("Dashboard: http://{}:{}/ui", hostForUrl, apiPort);
    log.info("Cluster status: {}cluster/members", management.endsWith("/") ? management : management + "/");
    if (s.role() == NodeSettings.Role.HEAD) {
      log.info("Workers join with: --bootstrap.addr {}{}", self, joinFlags(node, apiPort));
      log.info("OpenAI base URL for clients: http://{}:{}/v1/service/llm/v1", hostForUrl, apiPort);
    }
    if (!node.trust().closed()) {
      log.warn("This pool is open: any machine that reaches tcp port {} can join it, read its table and receive its"
          + " requests, and traffic between nodes is not encrypted. To close it, start the head with --pool.secure"
          + " and the workers with its --join-token (README: Securing a pool)", tcpPort);
    }
  }

  /** What a worker adds to --bootstrap.addr to join this head's pool: the join token, if it holds the CA. */
  private static String joinFlags(NodeContext node, int apiPort) {
    if (node.trust().poolDir().isEmpty()) {
      return "";
    }
    String token;
    try {
      token = node.trust().poolDir().get().token().toString();
    } catch (java.io.IOException e) {
      token = "<see 'otela token show': " + e.getMessage() + ">";
    }
    return " --join-token " + token + (apiPort == NodeSettings.DEFAULT_HTTP_PORT ? "" : " --bootstrap.api-port " + apiPort);
  }

  /** The reason for a coordinated shutdown caused by {@link Fatal}: the process exits with code 1. */
  static final class FatalReason implements CoordinatedShutdown.Reason {
    static final FatalReason INSTANCE = new FatalReason();

    @Override
    public String toString() {
      return "FatalReason";
    }
  }

}
