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
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SystemMaterializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.opentela.ApiError;
import org.opentela.SameThread;
import org.opentela.auth.Access;
import org.opentela.auth.Caller;
import org.opentela.auth.Exchange;
import org.opentela.auth.StreamOptions;
import org.opentela.auth.TokenUsage;
import org.opentela.proxy.Headers;
import org.opentela.proxy.LocalHops;
import org.opentela.proxy.ProxyReply;
import org.opentela.proxy.ProxyRequest;
import org.opentela.proxy.ServiceProxy;
import org.opentela.routing.MatchFields;
import org.opentela.routing.ProviderIndex;
import org.opentela.routing.Router;
import org.opentela.routing.RoutingSettings;
import org.opentela.routing.Selection;
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
  /** Whether the policy routes by the prompt's prefix: then the body's one parse also hashes it. */
  private final boolean hashPrompts;
  private final Tracing tracing;
  private final long startedSeconds = System.currentTimeMillis() / 1000;
  private boolean closedPool;
  private final Access access;

  public OpenAiRoutes(ActorSystem<?> system, ActorRef<Router.Command> router, ActorRef<ServiceProxy.Command> localProxy,
      RoutingSettings settings, String selfId, RequestMetrics metrics) {
    this(system, router, localProxy, settings, selfId, metrics, Access.OFF, Tracing.OFF);
  }

  /**
   * {@code access}: API keys ({@link Access#OFF}: every request is let through, as the original does);
   * {@code tracing}: spans of the requests ({@link Tracing#OFF}: none).
   */
  public OpenAiRoutes(ActorSystem<?> system, ActorRef<Router.Command> router, ActorRef<ServiceProxy.Command> localProxy,
      RoutingSettings settings, String selfId, RequestMetrics metrics, Access access, Tracing tracing) {
    this.access = access;
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
    this.hashPrompts = Selection.readsPrompt(settings.policy());
  }

  /** In a closed pool, {@code /v1/p2p/} reaches only documented paths ({@link P2pPaths}). Call before {@link #route()}. */
  public OpenAiRoutes closedPool(boolean closed) {
    this.closedPool = closed;
    return this;
  }

  public Route route() {
    return pathPrefix("v1", () -> concat(
        pathPrefix("service", () -> pathPrefix(segment(), service -> extractUnmatchedPath(rest ->
            extractRequest(req -> {
              boolean valid = SERVICE_NAME.matcher(service).matches();
              RequestTrace trace = new RequestTrace(metrics, tracing, req, valid ? service : "invalid",
                  "/v1/service/{service}");
              return completeWithFuture(measured(trace, () -> global(service, valid, rest, req, trace)));
            })))),
        pathPrefix("p2p", () -> pathPrefix(segment(), peer -> extractUnmatchedPath(rest ->
            extractRequest(req -> {
              RequestTrace trace = new RequestTrace(metrics, tracing, req, "p2p", "/v1/p2p/{peer}");
              return completeWithFuture(measured(trace, () -> pinned(peer, rest, req, trace)));
            })))),
        pathPrefix("_service", () -> pathPrefix(segment(), service -> extractUnmatchedPath(rest ->
            extractRequest(req -> {
              RequestTrace trace = new RequestTrace(metrics, tracing, req, "local", "/v1/_service/{service}");
              return completeWithFuture(measured(trace, () -> local(service, rest, req, trace)));
            }))))));
  }

  /**
   * Counts the response once its headers are ready, with the time it took (see {@link RequestTrace}); and
   * counts the request as being answered until its body's last byte (a stream's end), for the drain.
   */
  private CompletionStage<HttpResponse> measured(RequestTrace trace, Supplier<CompletionStage<HttpResponse>> handler) {
    metrics.arrived();
    CompletionStage<HttpResponse> response;
    try {
      response = handler.get();
    } catch (RuntimeException e) {
      metrics.answered(); // a handler that throws still answers (the exception handler renders it)
      throw e;
    }
    return response.whenCompleteAsync((r, err) -> {
      trace.headers(r, err);
      if (r == null || r.entity().isStrict()) {
        metrics.answered();
      }
    }, SameThread.EXECUTOR).thenApplyAsync(r -> r.entity().isStrict() ? r : r.withEntity(answeredAtEnd(r.entity())),
        SameThread.EXECUTOR);
  }

  /** {@code entity} with the same type and length, whose end (complete, failed or cancelled) counts as answered. */
  private ResponseEntity answeredAtEnd(ResponseEntity entity) {
    Source<ByteString, Object> body = entity.getDataBytes().watchTermination((mat, done) -> {
      done.whenCompleteAsync((d, e) -> metrics.answered(), SameThread.EXECUTOR);
      return mat;
    });
    return entity.getContentLengthOption().isPresent()
        ? HttpEntities.create(entity.getContentType(), entity.getContentLengthOption().getAsLong(), body)
        : HttpEntities.createChunked(entity.getContentType(), body);
  }

  /** {@code validName}: whether {@code service} matched {@link #SERVICE_NAME} (checked once, by the caller). */
  private CompletionStage<HttpResponse> global(String service, boolean validName, String rest, HttpRequest req,
      RequestTrace trace) {
    String requestId = requestId(req);
    trace.requestId(requestId);
    if (!validName) {
      return done(requestId, ApiError.INVALID_SERVICE_NAME.with(service));
    }
    String path = rest.isEmpty() ? "/" : rest;
    Exchange exchange = null;
    if (access.enabled()) {
      Caller caller = access.identify(Guard.authorization(req), Guard.source(req));
      HttpResponse refused = refusal(caller, req, "/v1/service/" + service, service, path);
      if (refused != null) {
        return CompletableFuture.completedFuture(withRequestId(refused, requestId));
      }
      exchange = access.exchange(caller);
    }
    if (req.method().value().equals("GET") && (path.equals("/v1/models") || path.startsWith("/v1/models/"))) {
      return models(service, path, requestId);
    }
    int fallback = fallback(req);
    Exchange ex = exchange;
    return bodies.read(req).thenCompose(received -> {
      ByteString body = received;
      MatchFields fields = MatchFields.NONE;
      String group = req.getHeader("X-Otela-Identity-Group").map(h -> h.value()).orElse(null);
      boolean json = false;
      try {
        if (group != null) {
          fields = MatchFields.ofHeader(group);
        } else if (RequestBodies.declaresJson(req)) {
          fields = MatchFields.ofJson(body.toArrayUnsafe(), 0, body.size(), hashPrompts);
          json = true;
        } else if (RequestBodies.looksLikeJsonObject(req, body)) {
          fields = sniffed(body, hashPrompts);
          json = true;
        }
      } catch (MatchFields.MalformedJson e) {
        return done(requestId, ApiError.INVALID_JSON.with(e.getMessage()));
      }
      Metered metered = null;
      if (ex != null) {
        String bodyModel = group == null ? fields.strings().get("model") : sniffed(body).strings().get("model");
        String groupModel = group == null ? null : fields.strings().get("model");
        HttpResponse refused = admit(ex, bodyModel, groupModel, requestId);
        if (refused != null) {
          return CompletableFuture.completedFuture(withRequestId(refused, requestId));
        }
        StreamOptions.Rewrite rewrite = (json || group != null) && completions(path)
            ? StreamOptions.ensureUsage(body) : null;
        if (rewrite != null) {
          body = rewrite.body();
        }
        metered = new Metered(ex, rewrite != null && rewrite.stripUsage());
      }
      trace.model(fields.strings().get(ProviderIndex.MODEL_KEY));
      ProxyRequest template = template(req, requestId, service, path, body, 0, !access.enabled(), trace);
      return route(req, service, fields, fallback, null, template, body, metered, trace);
    }).exceptionally(err -> {
      if (ex != null) {
        ex.finish(500, TokenUsage.NONE, true);
      }
      return bodies.failure(err, requestId);
    });
  }

  /** Whether {@code path} is a completion, whose stream otela asks for its usage. */
  private static boolean completions(String path) {
    return path.endsWith("/chat/completions") || path.endsWith("/v1/completions");
  }

  /**
   * The response for a caller who may not make this request ({@code display}: the path as the client
   * wrote it, up to {@code path}; {@code service}: null for a node's own API), or null when it may.
   */
  private HttpResponse refusal(Caller caller, HttpRequest req, String display, String service, String path) {
    if (caller instanceof Caller.Refused r) {
      return Guard.refused(r, requestId(req));
    }
    if (caller instanceof Caller.Client && (service == null || !access.clientMayCall(service, path))) {
      return ApiErrors.response(Guard.adminRequired(req.method().value(), display + path, access, service),
          requestId(req));
    }
    return null;
  }

  /**
   * Admits a request of an API key: every model it names (the body's, and an identity group's
   * {@code model=...}) must be one the key may use, then its limits must have room. Null when admitted.
   */
  private static HttpResponse admit(Exchange ex, String bodyModel, String groupModel, String requestId) {
    String model = bodyModel != null ? bodyModel : groupModel;
    if (bodyModel != null && groupModel != null && !groupModel.equals(bodyModel) && !ex.allows(groupModel)) {
      model = groupModel;
    }
    ApiError.Problem p = ex.admit(model);
    return p == null ? null : Guard.refused(p, ex, requestId);
  }

  /** As {@link #sniffed(ByteString, boolean)} without prompt hashes: for reading the model alone. */
  private static MatchFields sniffed(ByteString body) {
    return sniffed(body, false);
  }

  /** Fields of a body not declared as JSON: if it does not parse, it is passed through unmatched. */
  private static MatchFields sniffed(ByteString body, boolean hashPrompt) {
    try {
      return MatchFields.ofJson(body.toArrayUnsafe(), 0, body.size(), hashPrompt);
    } catch (MatchFields.MalformedJson e) {
      return MatchFields.NONE;
    }
  }

  private CompletionStage<HttpResponse> pinned(String peer, String rest, HttpRequest req, RequestTrace trace) {
    String requestId = requestId(req);
    trace.requestId(requestId);
    // A client's own X-Otela-Hops counts for nothing: only this node's proxy can vouch for a hop (LocalHops).
    int hops = LocalHops.trusted(req.getHeader(LocalHops.HOPS).map(h -> h.value()).orElse(null),
        req.getHeader(LocalHops.TOKEN).map(h -> h.value()).orElse(null));
    if (hops >= MAX_HOPS) {
      return done(requestId, ApiError.LOOP_DETECTED.with(hops));
    }
    String path = rest.isEmpty() ? "/" : rest;
    String refusal = closedPool ? P2pPaths.refusal(req.method().value(), path) : null;
    if (refusal != null) {
      return done(requestId, ApiError.P2P_PATH_NOT_ALLOWED.with(req.method().value(), path, refusal));
    }
    String service = null;
    if (path.startsWith("/v1/_service/")) {
      int slash = path.indexOf('/', "/v1/_service/".length());
      service = slash < 0 ? path.substring("/v1/_service/".length()) : path.substring("/v1/_service/".length(), slash);
      path = slash < 0 ? "/" : path.substring(slash);
    }
    String targetService = service;
    String targetPath = path;
    Exchange exchange = null;
    boolean admin = true;
    if (access.enabled()) {
      Caller caller = access.identify(Guard.authorization(req), Guard.source(req));
      String display = "/v1/p2p/" + peer + (service == null ? "" : "/v1/_service/" + service);
      HttpResponse refused = refusal(caller, req, display, service, path);
      if (refused != null) {
        return CompletableFuture.completedFuture(withRequestId(refused, requestId));
      }
      exchange = access.exchange(caller);
      admin = exchange.admin();
    }
    Exchange ex = exchange;
    // The admin key goes on to another node's own API (it checks it too); to a backend, no client secret goes.
    boolean keepAuthorization = !access.enabled() || (targetService == null && admin);
    return bodies.read(req).thenCompose(received -> {
      ByteString body = received;
      Metered metered = null;
      if (ex != null) {
        HttpResponse refused = admit(ex, sniffed(body).strings().get("model"),
            req.getHeader("X-Otela-Identity-Group").map(h -> MatchFields.ofHeader(h.value()).strings().get("model"))
                .orElse(null), requestId);
        if (refused != null) {
          return CompletableFuture.completedFuture(withRequestId(refused, requestId));
        }
        StreamOptions.Rewrite rewrite = targetService != null && completions(targetPath)
            ? StreamOptions.ensureUsage(body) : null;
        if (rewrite != null) {
          body = rewrite.body();
        }
        metered = new Metered(ex, rewrite != null && rewrite.stripUsage());
      }
      ProxyRequest template = template(req, requestId, targetService, targetPath, body, hops + 1,
          keepAuthorization, trace);
      return route(req, null, MatchFields.NONE, 0, peer, template, body, metered, trace);
    }).exceptionally(err -> {
      if (ex != null) {
        ex.finish(500, TokenUsage.NONE, true);
      }
      return bodies.failure(err, requestId);
    });
  }

  private CompletionStage<HttpResponse> local(String service, String rest, HttpRequest req, RequestTrace trace) {
    String requestId = requestId(req);
    trace.requestId(requestId);
    String path = rest.isEmpty() ? "/" : rest;
    long start = System.nanoTime();
    Exchange exchange = null;
    if (access.enabled()) {
      Caller caller = access.identify(Guard.authorization(req), Guard.source(req));
      HttpResponse refused = refusal(caller, req, "/v1/_service/" + service, service, path);
      if (refused != null) {
        return CompletableFuture.completedFuture(withRequestId(refused, requestId));
      }
      exchange = access.exchange(caller);
    }
    Exchange ex = exchange;
    return bodies.read(req).thenCompose(received -> {
      ByteString body = received;
      Metered metered = null;
      if (ex != null) {
        HttpResponse refused = admit(ex, sniffed(body).strings().get("model"), null, requestId);
        if (refused != null) {
          return CompletableFuture.completedFuture(withRequestId(refused, requestId));
        }
        StreamOptions.Rewrite rewrite = completions(path) ? StreamOptions.ensureUsage(body) : null;
        if (rewrite != null) {
          body = rewrite.body();
        }
        metered = new Metered(ex, rewrite != null && rewrite.stripUsage());
      }
      Metered m = metered;
      ProxyRequest r = template(req, requestId, service, path, body, 0, !access.enabled(), trace)
          .withBody(body, true, materializer);
      Object[] asked = new Object[1];
      CompletionStage<ProxyReply> reply = AskPattern.ask(localProxy, replyTo -> {
        asked[0] = replyTo;
        return new ServiceProxy.Forward(0, r, replyTo);
      }, askTimeout(), system.scheduler());
      @SuppressWarnings("unchecked")
      ActorRef<ProxyReply> replyTo = (ActorRef<ProxyReply>) asked[0];
      ClientGone.whenGone(req, () -> localProxy.tell(new ServiceProxy.Abort(0, replyTo)));
      return reply.thenApplyAsync(rep -> {
        if (rep instanceof ProxyReply.Failed f) {
          ApiError.Problem problem = ClientGone.isGone(req) ? ApiError.CLIENT_CLOSED_REQUEST.with() : f.problem();
          if (m != null) {
            m.failed(problem.error().status());
          }
          return error(problem, requestId);
        }
        return ProxyResponses.render(selfId, requestId, rep, timeLeft(start), trace, peer -> { }, m);
      }, dispatcher);
    }).exceptionally(err -> {
      if (ex != null) {
        ex.finish(500, TokenUsage.NONE, true);
      }
      return bodies.failure(err, requestId);
    });
  }

  /**
   * Asks the router and renders its answer. If the client goes away first, the router is told to cancel:
   * the worker then aborts its backend request, which frees the GPU.
   */
  private CompletionStage<HttpResponse> route(HttpRequest req, String service, MatchFields fields, int fallback,
      String peer, ProxyRequest request, ByteString body, Metered metered,
      RequestTrace trace) {
    long start = System.nanoTime();
    String requestId = request.requestId();
    if (ClientGone.isGone(req)) {
      if (metered != null) {
        metered.failed(ApiError.CLIENT_CLOSED_REQUEST.status());
      }
      return done(requestId, ApiError.CLIENT_CLOSED_REQUEST.with());
    }
    Object[] asked = new Object[1];
    CompletionStage<Router.RouteReply> reply = AskPattern.ask(router, replyTo -> {
      asked[0] = replyTo;
      return new Router.RouteRequest(service, fields, fallback, peer, request, body, replyTo);
    }, askTimeout(), system.scheduler());
    @SuppressWarnings("unchecked")
    ActorRef<Router.RouteReply> replyTo = (ActorRef<Router.RouteReply>) asked[0];
    ClientGone.whenGone(req, () -> router.tell(new Router.Cancel(replyTo)));
    return reply.thenApplyAsync(rep -> {
      if (rep instanceof Router.Routed routed) {
        return ProxyResponses.render(routed.peerId(), requestId, routed.reply(), timeLeft(start), trace,
            finished -> router.tell(new Router.StreamFinished(finished)), metered);
      }
      ApiError.Problem problem = ((Router.Rejected) rep).problem();
      if (metered != null) {
        metered.failed(problem.error().status());
        return error(problem, requestId).addHeaders(metered.headers());
      }
      return error(problem, requestId);
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

  /**
   * The request as it goes on; {@code hops}: for a request to a node's own API, the hops it will have made.
   * {@code keepAuthorization} false: the client's {@code Authorization} stays here (with API keys on, a
   * worker never sees a client's key; its backend's own comes from the worker).
   */
  private ProxyRequest template(HttpRequest req, String requestId, String service, String path, ByteString body,
      int hops, boolean keepAuthorization, RequestTrace trace) {
    List<String> headers = Headers.requestHeaders(req.getHeaders());
    if (!keepAuthorization) {
      Headers.remove(headers, "Authorization");
    }
    // The id every node and the backend log: the client's, or the one HttpApi gave a request without a usable one.
    Headers.set(headers, RequestIds.HEADER, requestId);
    if (trace.span() != null) {
      headers = tracing.withSpan(headers, trace.span());
    }
    String ct = Headers.contentType(req.entity());
    return new ProxyRequest(requestId, service, req.method().value(), path, req.getUri().rawQueryString().orElse(null),
        headers, ct, null, null, body.size(), hops);
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

  static String requestId(HttpRequest req) {
    return RequestIds.of(req);
  }

  static HttpResponse withRequestId(HttpResponse r, String requestId) {
    return r.addHeader(RawHeader.create(RequestIds.HEADER, requestId));
  }

  static HttpResponse error(ApiError.Problem p, String requestId) {
    return ApiErrors.response(p, requestId);
  }

  private static CompletionStage<HttpResponse> done(String requestId, ApiError.Problem p) {
    return CompletableFuture.completedFuture(error(p, requestId));
  }
}
