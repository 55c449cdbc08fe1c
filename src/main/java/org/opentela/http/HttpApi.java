package org.opentela.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.extractMethod;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithDefaultHeaders;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.opentela.proxy.ServiceProxy;
import org.opentela.routing.Router;
import org.opentela.routing.RoutingMetrics;
import org.opentela.routing.RoutingSettings;
import org.opentela.table.TableKeeper;
import org.opentela.telemetry.PoolHistory;
import org.opentela.telemetry.Tracing;

/**
 * The whole HTTP API of a node: CORS around every route (as the original: any origin, OPTIONS answered),
 * then the areas' routes, with one rejection and exception handler that render OpenAI-shaped errors.
 */
public final class HttpApi {
  private static final String ALLOW_HEADERS = "authorization, origin, content-type, accept, x-request-id,"
      + " x-otela-fallback, x-otela-identity-group, x-otela-trust, openai-organization, openai-project,"
      + " traceparent, tracestate";
  private static final String ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";

  private HttpApi() {}

  /** The actors and settings the API's routes are built from. */
  public record Endpoints(ActorRef<TableKeeper.Command> keeper, ActorRef<Router.Command> router,
      ActorRef<ServiceProxy.Command> localProxy, RoutingSettings routing, String selfId) {}

  /**
   * What the node measures, for the routes that record or show it: the request path's series, the router's
   * (in the same registry), the tracer, and the pool's recent history for the dashboard.
   */
  public record Telemetry(RequestMetrics metrics, RoutingMetrics routing, Tracing tracing,
      ActorRef<PoolHistory.Command> history) {}

  /** Binds every area's routes on {@code host:port}; completes when the server accepts connections. */
  public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, String host, int port, Endpoints e,
      Telemetry t) {
    // The operator's surfaces (/metrics, /ui and its data), as one route an access check can wrap.
    Route operator = concat(new MetricsRoutes(system, e.keeper(), t.metrics()).route(),
        new DashboardRoutes(system, e.keeper(), t.history(), t.routing()).route());
    List<Route> areas = List.of(
        new TableRoutes(system, e.keeper()).route(),
        operator,
        new OpenAiRoutes(system, e.router(), e.localProxy(), e.routing(), e.selfId(), t.metrics(), t.tracing()).route());
    return Http.get(system).newServerAt(host, port).bind(route(areas));
  }

  public static Route route(List<Route> areas) {
    Route inner = concat(areas.get(0), areas.subList(1, areas.size()).toArray(Route[]::new));
    return optionalHeaderValueByName("Origin", origin ->
        optionalHeaderValueByName("Access-Control-Request-Headers", requested ->
            respondWithDefaultHeaders(cors(origin, requested), () ->
                handleExceptions(ApiErrors.exceptionHandler(), () ->
                    handleRejections(ApiErrors.rejectionHandler(), () ->
                        // Any OPTIONS is a CORS preflight: answered here, so it never reaches a backend.
                        extractMethod(m -> m.equals(HttpMethods.OPTIONS) ? complete(StatusCodes.OK) : inner))))));
  }

  private static List<HttpHeader> cors(Optional<String> origin, Optional<String> requestedHeaders) {
    List<HttpHeader> h = new ArrayList<>();
    // Echo the origin: browsers reject "*" together with credentials.
    h.add(RawHeader.create("Access-Control-Allow-Origin", origin.orElse("*")));
    h.add(RawHeader.create("Access-Control-Allow-Credentials", "true"));
    h.add(RawHeader.create("Access-Control-Allow-Methods", ALLOW_METHODS));
    h.add(RawHeader.create("Access-Control-Allow-Headers", requestedHeaders.orElse(ALLOW_HEADERS)));
    h.add(RawHeader.create("Access-Control-Expose-Headers", "x-computing-node, x-request-id"));
    if (origin.isPresent()) {
      h.add(RawHeader.create("Vary", "Origin"));
    }
    return h;
  }
}
