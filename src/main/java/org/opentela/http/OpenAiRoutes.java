package org.opentela.http;

import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.extractUnmatchedPath;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SystemMaterializer;
import org.apache.pekko.util.ByteString;
import org.opentela.ApiError;
import org.opentela.SameThread;
import org.opentela.proxy.Headers;
import org.opentela.proxy.ProxyReply;
import org.opentela.proxy.ProxyRequest;
import org.opentela.proxy.ServiceProxy;
import org.opentela.routing.MatchFields;
import org.opentela.routing.ProviderIndex;
import org.opentela.routing.Router;
import org.opentela.routing.RoutingSettings;
import org.opentela.telemetry.Tracing;

/**
 * The OpenAI-facing routes, for every method:
 * <ul>
 *   <li>{@code /v1/service/{service}/{path}}: routed by identity group to a matching worker;</li>
 *   <li>{@code /v1/p2p/{peerId}/{path}}: to that node's HTTP API ({@code /v1/p2p/{id}/v1/_service/llm/...}
 *       reaches its local service);</li>
 *   <li>{@code /v1/_service/{service}/{path}}: this node's own local service.</li>
 * </ul>
 * {@code GET /v1/service/{service}/v1/models} answers the union of the providers' models.
 *
 * <p>Continuations name their executor ({@link SameThread}): the router's reply is rendered on the thread
 * that completes the ask; the rarer asks use the actor system's dispatcher.
 */
public final class OpenAiRoutes {
  private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,79}");
  private static final int MAX_HOPS = 3;

  private final ActorSystem<?> system;
  private final ActorRef<Router.Command> router;
  private final ActorRef<ServiceProxy.Command> localProxy;
  private final RoutingSettings settings;
  private final String selfId;
  private final RequestBodies bodies;
  private final Executor dispatcher;
  private final Materializer materializer;
  private final RequestMetrics metrics;
  private final Tracing tracing;
  private final long startedSeconds = System.currentTimeMillis() / 1000;

  public OpenAiRoutes(ActorSystem<?> system, ActorRef<Router.Command> router, ActorRef<ServiceProxy.Command> localProxy,
      RoutingSettings settings, String selfId, RequestMetrics metrics) {
    this(system, router, localProxy, settings, selfId, metrics, Tracing.OFF);
  }

  public OpenAiRoutes(ActorSystem<?> system, ActorRef<Router.Command> router, ActorRef<ServiceProxy.Command> localProxy,
      RoutingSettings settings, String selfId, RequestMetrics metrics, Tracing tracing) {
    this.metrics = metrics;
    this.tracing = tracing;
    this.system = system;
    this.router = router;
    this.localProxy = localProxy;
    this.settings = settings;
    this.selfId = selfId;
    this.bodies = new RequestBodies(system, settings.maxBody());
    this.dispatcher = system.executionContext();
    this.materializer = SystemMaterializer.get(system).materializer();
  }

  public Route route() {
    return pathPrefix("v1", () -> concat(
        pathPrefix("service", () -> pathPrefix(segment(), service -> extractUnmatchedPath(rest ->
            extractRequest(req -> {
              boolean valid = SERVICE_NAME.matcher(service).matches();
              Exchange ex = new Exchange(metrics, tracing, req, valid ? service : "invalid",
                  "/v1/service/{service}");
              return completeWithFuture(measured(ex, () -> global(service, valid, rest, req, ex)));
            })))),
        pathPrefix("p2p", () -> pathPrefix(segment(), peer -> extractUnmatchedPath(rest ->
            extractRequest(req -> {
              Exchange ex = new Exchange(metrics, tracing, req, "p2p", "/v1/p2p/{peer}");
              return completeWithFuture(measured(ex, () -> pinned(peer, rest, req, ex)));
            })))),
        pathPrefix("_service", () -> pathPrefix(segment(), service -> extractUnmatchedPath(rest ->
            extractRequest(req -> {
              Exchange ex = new Exchange(metrics, tracing, req, "local", "/v1/_service/{service}");
              return completeWithFuture(measured(ex, () -> local(service, rest, req, ex)));
            }))))));
  }

  /** Counts the response once its headers are ready, with the time it took (see {@link Exchange}). */
  private static CompletionStage<HttpResponse> measured(Exchange ex, Supplier<CompletionStage<HttpResponse>> handler) {
    return handler.get().whenCompleteAsync(ex::headers, SameThread.EXECUTOR);
  }

  /** {@code validName}: whether {@code service} matched {@link #SERVICE_NAME} (checked once, by the caller). */
  private CompletionStage<HttpResponse> global(String service, boolean validName, String rest, HttpRequest req,
      Exchange ex) {
    String requestId = requestId(req);
    ex.requestId(requestId);
    if (!validName) {
      return done(requestId, ApiError.INVALID_SERVICE_NAME.with(service));
    }
    String path = rest.isEmpty() ? "/" : rest;
    if (req.method().value().equals("GET") && (path.equals("/v1/models") || path.startsWith("/v1/models/"))) {
      return models(service, path, requestId);
    }
    int fallback = fallback(req);
    return bodies.read(req).thenCompose(body -> {
      MatchFields fields = MatchFields.NONE;
      String group = req.getHeader("X-Otela-Identity-Group").map(h -> h.value()).orElse(null);
      try {
        if (group != null) {
          fields = MatchFields.ofHeader(group);
        } else if (RequestBodies.declaresJson(req)) {
          fields = MatchFields.ofJson(body.toArrayUnsafe(), 0, body.size());
        } else if (RequestBodies.looksLikeJsonObject(req, body)) {
          fields = sniffed(body);
        }
      } catch (MatchFields.MalformedJson e) {
        return done(requestId, ApiError.INVALID_JSON.with(e.getMessage()));
      }
      ex.model(fields.strings().get(ProviderIndex.MODEL_KEY));
      ProxyRequest template = template(req, requestId, service, path, body, ex);
      return route(service, fields, fallback, null, template, body, ex);
    }).exceptionally(err -> bodies.failure(err, requestId));
  }

  /** Fields of a body not declared as JSON: if it does not parse, it is passed through unmatched. */
  private static MatchFields sniffed(ByteString body) {
    try {
      return MatchFields.ofJson(body.toArrayUnsafe(), 0, body.size());
    } catch (MatchFields.MalformedJson e) {
      return MatchFields.NONE;
    }
  }

  private CompletionStage<HttpResponse> pinned(String peer, String rest, HttpRequest req, Exchange ex) {
    String requestId = requestId(req);
    ex.requestId(requestId);
    int hops = req.getHeader("X-Otela-Hops").map(h -> parseInt(h.value())).orElse(0);
    if (hops >= MAX_HOPS) {
      return done(requestId, ApiError.LOOP_DETECTED.with(hops));
    }
    String path = rest.isEmpty() ? "/" : rest;
    String service = null;
    if (path.startsWith("/v1/_service/")) {
      int slash = path.indexOf('/', "/v1/_service/".length());
      service = slash < 0 ? path.substring("/v1/_service/".length()) : path.substring("/v1/_service/".length(), slash);
      path = slash < 0 ? "/" : path.substring(slash);
    }
    String targetService = service;
    String targetPath = path;
    return bodies.read(req).thenCompose(body -> {
      ProxyRequest template = template(req, requestId, targetService, targetPath, body, ex);
      if (targetService == null) {
        List<String> h = new ArrayList<>(template.headers());
        Headers.set(h, "X-Otela-Hops", Integer.toString(hops + 1));
        template = new ProxyRequest(requestId, null, template.method(), targetPath, template.query(), h,
            template.contentType(), null, null, template.contentLength());
      }
      return route(null, MatchFields.NONE, 0, peer, template, body, ex);
    }).exceptionally(err -> bodies.failure(err, requestId));
  }

  private CompletionStage<HttpResponse> local(String service, String rest, HttpRequest req, Exchange ex) {
    String requestId = requestId(req);
    ex.requestId(requestId);
    String path = rest.isEmpty() ? "/" : rest;
    long start = System.nanoTime();
    return bodies.read(req).thenCompose(body -> {
      ProxyRequest r = template(req, requestId, service, path, body, ex).withBody(body, true, materializer);
      CompletionStage<ProxyReply> reply = AskPattern.ask(localProxy,
          replyTo -> new ServiceProxy.Forward(0, r, replyTo), askTimeout(), system.scheduler());
      return reply.thenApplyAsync(rep -> {
        if (rep instanceof ProxyReply.Failed f) {
          return error(f.problem(), requestId);
        }
        return ProxyResponses.render(selfId, requestId, rep, timeLeft(start), ex, peer -> { });
      }, dispatcher);
    }).exceptionally(err -> bodies.failure(err, requestId));
  }

  private CompletionStage<HttpResponse> route(String service, MatchFields fields, int fallback, String peer,
      ProxyRequest request, ByteString body, Exchange ex) {
    long start = System.nanoTime();
    String requestId = request.requestId();
    CompletionStage<Router.RouteReply> reply = AskPattern.ask(router,
        replyTo -> new Router.RouteRequest(service, fields, fallback, peer, request, body, replyTo),
        askTimeout(), system.scheduler());
    return reply.thenApplyAsync(rep -> {
      if (rep instanceof Router.Routed routed) {
        return ProxyResponses.render(routed.peerId(), requestId, routed.reply(), timeLeft(start), ex,
            finished -> router.tell(new Router.StreamFinished(finished)));
      }
      return error(((Router.Rejected) rep).problem(), requestId);
    }, SameThread.EXECUTOR);
  }

  private CompletionStage<HttpResponse> models(String service, String path, String requestId) {
    CompletionStage<Router.ModelsReply> reply = AskPattern.ask(router,
        replyTo -> new Router.ListModels(service, replyTo), Duration.ofSeconds(5), system.scheduler());
    return reply.thenApplyAsync(rep -> {
      if (!(rep instanceof Router.Models m)) {
        return error(((Router.Rejected) rep).problem(), requestId);
      }
      if (path.equals("/v1/models")) {
        List<ModelView> data = new ArrayList<>();
        m.models().forEach(id -> data.add(new ModelView(id, "model", startedSeconds, "otela")));
        return withRequestId(Responses.json(StatusCodes.OK, new ModelList("list", data)), requestId);
      }
      // Model ids contain "/" (Qwen/Qwen3-8B), which clients percent-encode in the path.
      String id = java.net.URLDecoder.decode(path.substring("/v1/models/".length()).replace("+", "%2B"),
          java.nio.charset.StandardCharsets.UTF_8);
      if (!m.models().contains(id)) {
        return error(ApiError.MODEL_NOT_FOUND.with(id, m.models()), requestId);
      }
      return withRequestId(Responses.json(StatusCodes.OK, new ModelView(id, "model", startedSeconds, "otela")), requestId);
    }, dispatcher);
  }

  record ModelView(String id, String object, long created, String owned_by) {}

  record ModelList(String object, List<ModelView> data) {}

  private ProxyRequest template(HttpRequest req, String requestId, String service, String path, ByteString body,
      Exchange ex) {
    List<String> headers = Headers.requestHeaders(req.getHeaders());
    if (Headers.find(headers, "X-Request-Id") == null) {
      headers.add("X-Request-Id");
      headers.add(requestId);
    }
    if (ex.span() != null) {
      headers = tracing.withSpan(headers, ex.span());
    }
    String ct = Headers.contentType(req.entity());
    return new ProxyRequest(requestId, service, req.method().value(), path, req.getUri().rawQueryString().orElse(null),
        headers, ct, null, null, body.size());
  }

  private Duration askTimeout() {
    return settings.requestTimeout().plusSeconds(60);
  }

  private Duration timeLeft(long startNanos) {
    Duration left = settings.requestTimeout().minusNanos(System.nanoTime() - startNanos);
    return left.isNegative() || left.isZero() ? Duration.ofMillis(1) : left;
  }

  private static int fallback(HttpRequest req) {
    String v = req.getHeader("X-Otela-Fallback").map(h -> h.value().trim()).orElse("0");
    return v.equals("1") ? 1 : v.equals("2") ? 2 : 0;
  }

  private static int parseInt(String s) {
    try {
      return Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The client's X-Request-Id, or a new one. */
  static String requestId(HttpRequest req) {
    return req.getHeader("X-Request-Id").map(h -> h.value()).filter(v -> !v.isBlank() && v.length() <= 200)
        .orElseGet(() -> Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE));
  }

  static HttpResponse withRequestId(HttpResponse r, String requestId) {
    return r.addHeader(RawHeader.create("X-Request-Id", requestId));
  }

  static HttpResponse error(ApiError.Problem p, String requestId) {
    return withRequestId(ApiErrors.response(p), requestId);
  }

  private static CompletionStage<HttpResponse> done(String requestId, ApiError.Problem p) {
    return CompletableFuture.completedFuture(error(p, requestId));
  }
}
