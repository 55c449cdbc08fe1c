package org.opentela.http;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.SystemMaterializer;
import org.apache.pekko.stream.TLSProtocol.SslTlsInbound;
import org.apache.pekko.stream.TLSProtocol.SslTlsOutbound;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.GraphDSL;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.opentela.RateLimitedLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTP server: Pekko HTTP's server layer on connections otela accepts itself, so that each
 * connection is counted against {@code --http.max_connections} and {@code --http.max_connections_per_address}
 * (one over a limit is answered 503 or 429 and closed at once, instead of waiting in the accept queue) and
 * runs through a {@link ConnectionGuard} (header and idle timeouts, the client-gone signal). Pekko's own
 * {@code bind} offers neither: its connection limit stops accepting, and its stages are closed to us.
 */
public final class HttpServer {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);
  private static final RateLimitedLog warnings = new RateLimitedLog(log, Duration.ofSeconds(10));
  private static final Duration SHUTDOWN_POLL = Duration.ofMillis(50);

  private final ActorSystem<?> system;
  private final Tcp.ServerBinding binding;
  private final Connections connections;
  private final SharedKillSwitch killSwitch;
  private CompletionStage<Done> unbound;

  private HttpServer(ActorSystem<?> system, Tcp.ServerBinding binding, Connections connections,
      SharedKillSwitch killSwitch) {
    this.system = system;
    this.binding = binding;
    this.connections = connections;
    this.killSwitch = killSwitch;
  }

  /** Serves {@code route} on {@code host:port}; completes when the port accepts connections. */
  public static CompletionStage<HttpServer> bind(ActorSystem<?> system, String host, int port, HttpSettings settings,
      Route route) {
    Materializer materializer = SystemMaterializer.get(system).materializer();
    ServerSettings server = ServerSettings.create(system.settings().config());
    Flow<HttpRequest, HttpResponse, NotUsed> routes = route.flow(system);
    Connections connections = new Connections(settings.maxConnections(), settings.maxConnectionsPerAddress());
    SharedKillSwitch killSwitch = KillSwitches.shared("http-api");
    Acceptor acceptor = new Acceptor(system, server, routes, settings, connections, killSwitch, materializer);
    return Tcp.get(system).bind(host, port, server.getBacklog(), server.getSocketOptions(), false, Optional.empty())
        .to(Sink.foreach(acceptor::accept))
        .run(materializer)
        .thenApply(b -> new HttpServer(system, b, connections, killSwitch));
  }

  /** Hands each accepted connection its flow, or refuses it. Runs on the accepting stream only. */
  private record Acceptor(ActorSystem<?> system, ServerSettings server, Flow<HttpRequest, HttpResponse, NotUsed> routes,
      HttpSettings settings, Connections connections, SharedKillSwitch killSwitch, Materializer materializer) {

    void accept(Tcp.IncomingConnection c) {
      String client = c.remoteAddress().getAddress().getHostAddress();
      Connections.Admission admission = connections.open(c.remoteAddress().getAddress(), () -> warnings.warn(
          "header-timeout", "Closed a connection from " + client + " that did not send a request's headers within "
              + settings.headerTimeout().toMillis() + " ms (--http.header_timeout)"));
      if (admission instanceof Connections.Refused r) {
        String id = RequestIds.generate();
        warnings.warn("refused-" + r.problem().error().code(), "Refused a connection from " + client + ": "
            + r.problem().message() + " (request id " + id + ")");
        c.handleWith(Flow.fromSinkAndSourceCoupled(Sink.ignore(), Source.single(RawResponses.closing(r.problem(), id))),
            materializer);
        return;
      }
      Connections.Handle handle = ((Connections.Admitted) admission).handle();
      try {
        c.handleWith(flow(c.remoteAddress(), handle).via(killSwitch.flow()), materializer);
      } catch (RuntimeException e) {
        handle.detach();
        log.error("Could not serve a connection from {}", client, e);
      }
    }

    /** Socket bytes → guard → Pekko's HTTP layer → guard → the routes, and back. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private Flow<ByteString, ByteString, NotUsed> flow(InetSocketAddress remote, Connections.Handle handle) {
      // No TLS on this port: the placebo turns Pekko's TLS-shaped layer into plain bytes.
      BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed> plain = (BidiFlow) TLSPlacebo.getInstance();
      BidiFlow<HttpResponse, ByteString, ByteString, HttpRequest, NotUsed> http =
          Http.get(system).serverLayer(server, Optional.of(remote)).atop(plain);
      return Flow.fromGraph(GraphDSL.create(b -> {
        ConnectionGuard.GuardShape g = b.add(new ConnectionGuard(settings, handle));
        BidiShape<HttpResponse, ByteString, ByteString, HttpRequest> layer = b.add(http);
        FlowShape<HttpRequest, HttpResponse> handler = b.add(routes);
        b.from(g.bytesToParser).toInlet(layer.in2());
        b.from(layer.out2()).toInlet(g.requestsIn);
        b.from(g.requestsOut).toInlet(handler.in());
        b.from(handler.out()).toInlet(g.responsesIn);
        b.from(g.responsesOut).toInlet(layer.in1());
        b.from(layer.out1()).toInlet(g.renderedIn);
        return FlowShape.of(g.bytesIn, g.bytesOut);
      })).addAttributes(Attributes.apply(new Attributes.CancellationStrategy(
          // As Pekko's own binding with stream-cancellation-delay = 0: a cancelled response fails at once.
          Attributes.cancellationStrategyFailStage())));
    }
  }

  public InetSocketAddress localAddress() {
    return binding.localAddress();
  }

  /** Connections open now. */
  public int openConnections() {
    return connections.total();
  }

  /**
   * Stops accepting connections; open ones go on. Once: a shutdown calls it in two phases. A failure (the
   * listener gone already, when the actor system stops first) only means nothing accepts any more.
   */
  public synchronized CompletionStage<Done> unbind() {
    if (unbound == null) {
      unbound = binding.unbind().handle((v, err) -> {
        if (err != null) {
          log.debug("Unbinding the HTTP API: {}", err.toString());
        }
        return Done.getInstance();
      });
    }
    return unbound;
  }

  /**
   * Stops accepting, closes idle connections, lets each busy one finish its response (then closes it), and
   * after {@code deadline} closes whatever is still open.
   */
  public CompletionStage<Done> terminate(Duration deadline) {
    return unbind().thenCompose(d -> {
      connections.shutdown();
      CompletableFuture<Done> done = new CompletableFuture<>();
      long end = System.nanoTime() + deadline.toNanos();
      AtomicReference<Cancellable> poll = new AtomicReference<>();
      poll.set(system.scheduler().scheduleWithFixedDelay(SHUTDOWN_POLL, SHUTDOWN_POLL, () -> {
        if (connections.total() == 0 || System.nanoTime() > end) {
          killSwitch.shutdown();
          poll.get().cancel();
          done.complete(Done.getInstance());
        }
      }, system.executionContext()));
      return done;
    });
  }

  /**
   * Ties the server to the node's coordinated shutdown, as Pekko's {@code ServerBinding} does: unbind first,
   * then let requests in flight finish for up to {@code deadline}.
   */
  public void addToCoordinatedShutdown(Duration deadline, ActorSystem<?> system) {
    CoordinatedShutdown cs = CoordinatedShutdown.get(Adapter.toClassic(system));
    cs.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "http-api-unbind", this::unbind);
    cs.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "http-api-terminate", () -> terminate(deadline));
    cs.addTask(CoordinatedShutdown.PhaseServiceStop(), "http-api-close", () -> {
      killSwitch.shutdown();
      return CompletableFuture.completedFuture(Done.getInstance());
    });
  }
}
