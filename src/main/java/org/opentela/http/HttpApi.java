package org.opentela.http;

import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.mapRequest;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefixTest;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithDefaultHeader;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.opentela.auth.Access;
import org.opentela.proxy.ServiceProxy;
import org.opentela.routing.Router;
import org.opentela.routing.RoutingMetrics;
import org.opentela.routing.RoutingSettings;
import org.opentela.table.TableKeeper;
import org.opentela.telemetry.PoolHistory;
import org.opentela.telemetry.Tracing;

/**
 * The whole HTTP API of a node: every request gets its id ({@link RequestIds}) and its CORS treatment
 * ({@link Cors}), then the areas' routes run, with one rejection and exception handler that render
 * OpenAI-shaped errors. Served by {@link HttpServer}, which guards the connections.
 */
public final class HttpApi {
  private HttpApi() {}

  /**
   * The actors and settings the API's routes are built from. {@code closedPool}: /v1/p2p/ then reaches
   * only documented paths ({@link P2pPaths}). {@code access}: API keys ({@link Access#OFF} when off);
   * {@code authActors}: their keepers (null when off).
   */
  public record Endpoints(ActorRef<TableKeeper.Command> keeper, ActorRef<Router.Command> router,
      ActorRef<ServiceProxy.Command> localProxy, RoutingSettings routing, HttpSettings http, String selfId,
      boolean closedPool, Access access, Access.Actors authActors) {}

  /**
   * What the node measures, for the routes that record or show it: the request path's series, the router's
   * (in the same registry), the tracer, and the pool's recent history for the dashboard.
   */
  public record Telemetry(RequestMetrics metrics, RoutingMetrics routing, Tracing tracing,
      ActorRef<PoolHistory.Command> history) {}

  /**
   * Binds every area's routes on {@code host:port}, recording into {@code t}'s metrics (which the drain
   * reads: how many requests are being answered), with more areas (the enrolment API of a pool CA);
   * completes when the server accepts connections.
   */
  public static CompletionStage<HttpServer> bind(ActorSystem<?> system, String host, int port, Endpoints e,
      Telemetry t, List<Route> more) {
    // The operator's surfaces (/metrics, /ui and its data), as one route: the data answers the admin key only once
    // API keys are on; the page itself (static files from the jar, no data) stays open, and asks for the key.
    Route operator = operatorOnly(e.access(), concat(
        new MetricsRoutes(system, e.keeper(), t.metrics(), e.access()).route(),
        new DashboardRoutes(system, e.keeper(), t.history(), t.routing()).route()));
    List<Route> areas = new ArrayList<>(List.of(
        new TableRoutes(system, e.keeper(), e.access()).route(),
        operator,
        new AdminRoutes(system, e.access(), e.authActors()).route(),
        new OpenAiRoutes(system, e.router(), e.localProxy(), e.routing(), e.selfId(), t.metrics(), e.access(),
            t.tracing()).closedPool(e.closedPool()).route()));
    areas.addAll(more);
    return HttpServer.bind(system, host, port, e.http(), route(areas, new Cors(e.http().corsOrigins())));
  }

  /**
   * {@code operator} behind the admin key on its data paths ({@code /metrics}, {@code /v1/dnt/*}) once API keys
   * are on, and the dashboard's page ({@code /ui}: files from the jar that hold no data) open, so that a browser,
   * which sends no {@code Authorization} when it opens a page, can load it and be asked for the key; other paths
   * pass by it untouched, to the areas after it.
   */
  private static Route operatorOnly(Access access, Route operator) {
    return concat(
        pathPrefixTest("metrics", () -> Guard.adminOnly(access, () -> operator)),
        pathPrefixTest("ui", () -> operator),
        pathPrefixTest(PathMatchers.segment("v1").slash("dnt"), () -> Guard.adminOnly(access, () -> operator)));
  }

  /** The areas' routes, open to any origin without credentials (as with the default {@code --http.cors_origins}). */
  public static Route route(List<Route> areas) {
    return route(areas, new Cors(List.of("*")));
  }

  public static Route route(List<Route> areas, Cors cors) {
    Route inner = concat(areas.get(0), areas.subList(1, areas.size()).toArray(Route[]::new));
    return mapRequest(RequestIds::ensure, () -> extractRequest(req -> {
      String id = RequestIds.of(req);
      return respondWithDefaultHeader(RawHeader.create(RequestIds.HEADER, id), () ->
          cors.handle(req, id, () ->
              handleExceptions(ApiErrors.exceptionHandler(), () ->
                  handleRejections(ApiErrors.rejectionHandler(), () -> inner))));
    }));
  }
}
