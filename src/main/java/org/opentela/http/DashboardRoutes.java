package org.opentela.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.getFromResource;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.redirect;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithHeaders;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.opentela.ApiError;
import org.opentela.Json;
import org.opentela.routing.RoutingMetrics;
import org.opentela.table.NodeTable;
import org.opentela.table.TableKeeper;
import org.opentela.telemetry.PoolHistory;
import org.opentela.telemetry.TrafficHistory;

/**
 * The dashboard: {@code GET /ui} (a page and its script, stylesheet and chart library, all from the jar) and
 * the JSON it polls, {@code GET /v1/dnt/pool} ({@link PoolView}) and {@code GET /v1/dnt/traffic?since=N}
 * (the traffic history after point N). The page is static and holds no data; the data comes from
 * {@code /v1/dnt/}. {@link HttpApi} binds these routes and {@code /metrics} as one route, the operator's surfaces,
 * so an access check (an admin key, loopback only) can wrap them together.
 */
public final class DashboardRoutes {
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);
  /** Points the models' traffic in {@code /v1/dnt/pool} is averaged over (10 s at one point a second). */
  static final int RECENT_POINTS = 10;
  /** The uPlot version bundled in the jar, from its WebJar. */
  static final String UPLOT = webJarVersion("uplot");
  private static final String UPLOT_DIST = "META-INF/resources/webjars/uplot/" + UPLOT + "/dist/";
  /** Everything the page loads comes from this node; nothing may frame it. */
  private static final List<HttpHeader> PAGE_HEADERS = List.of(
      RawHeader.create("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self';"
          + " img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("X-Frame-Options", "DENY"),
      RawHeader.create("Referrer-Policy", "no-referrer"),
      RawHeader.create("Cache-Control", "no-cache"));

  private final ActorSystem<?> system;
  private final ActorRef<TableKeeper.Command> keeper;
  private final ActorRef<PoolHistory.Command> history;
  private final RoutingMetrics routing;

  public DashboardRoutes(ActorSystem<?> system, ActorRef<TableKeeper.Command> keeper,
      ActorRef<PoolHistory.Command> history, RoutingMetrics routing) {
    this.system = system;
    this.keeper = keeper;
    this.history = history;
    this.routing = routing;
  }

  public Route route() {
    return concat(
        pathPrefix("ui", () -> get(() -> respondWithHeaders(PAGE_HEADERS, () -> concat(
            pathEnd(() -> getFromResource("otela/ui/index.html")),
            pathEndOrSingleSlash(() -> redirect(Uri.create("/ui"), StatusCodes.MOVED_PERMANENTLY)),
            path("app.js", () -> getFromResource("otela/ui/app.js")),
            path("app.css", () -> getFromResource("otela/ui/app.css")),
            path("favicon.svg", () -> getFromResource("otela/ui/favicon.svg")),
            path("uplot.min.js", () -> getFromResource(UPLOT_DIST + "uPlot.iife.min.js")),
            path("uplot.min.css", () -> getFromResource(UPLOT_DIST + "uPlot.min.css")))))),
        pathPrefix("v1", () -> pathPrefix("dnt", () -> concat(
            path("pool", () -> get(() -> onSuccess(pool(), view ->
                complete(StatusCodes.OK, view, Jackson.marshaller(Json.MAPPER))))),
            path("traffic", () -> get(() -> extractRequest(req -> parameterOptional("since", since -> {
              long after;
              try {
                after = since.map(Long::parseLong).orElse(0L);
              } catch (NumberFormatException e) {
                return complete(ApiErrors.response(ApiError.INVALID_REQUEST.with(
                    "since: '" + since.get() + "' (expected: the seq of the last point you have, or 0)"),
                    RequestIds.of(req)));
              }
              return onSuccess(traffic(after), points ->
                  complete(StatusCodes.OK, points, Jackson.marshaller(Json.MAPPER)));
            }))))))));
  }

  private CompletionStage<TrafficHistory.Points> traffic(long after) {
    return AskPattern.ask(history, r -> new PoolHistory.GetTraffic(after, r), ASK_TIMEOUT, system.scheduler());
  }

  private CompletionStage<PoolView> pool() {
    CompletionStage<NodeTable> table = AskPattern.ask(keeper, TableKeeper.GetTable::new, ASK_TIMEOUT, system.scheduler());
    CompletionStage<PoolHistory.Gone> gone = AskPattern.ask(history, PoolHistory.GetGone::new, ASK_TIMEOUT,
        system.scheduler());
    CompletionStage<TrafficHistory.Points> recent = AskPattern.ask(history,
        r -> new PoolHistory.GetRecent(RECENT_POINTS, r), ASK_TIMEOUT, system.scheduler());
    return table.thenCompose(t -> gone.thenCombine(recent, (g, points) ->
        PoolView.of(t, g.nodes(), routing.inFlight(), points, System.currentTimeMillis())));
  }

  /** The version of a WebJar on the class path, from its Maven properties. */
  static String webJarVersion(String artifact) {
    String path = "/META-INF/maven/org.webjars.npm/" + artifact + "/pom.properties";
    try (InputStream in = DashboardRoutes.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("the " + artifact + " WebJar is missing from the class path (" + path + ")");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + path, e);
    }
  }
}
