package org.opentela.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.opentela.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sim's whole HTTP API as one low-level handler (no routing DSL: a switch on the path is all it needs,
 * and it is the fastest path through Pekko HTTP). Answers that never change are rendered once.
 */
final class SimHandler {
  private static final Logger log = LoggerFactory.getLogger(SimHandler.class);
  /** Larger bodies are refused (413): no sensible chat request is this big. */
  static final long MAX_BODY_BYTES = 64L * 1024 * 1024;
  private static final long BODY_TIMEOUT_MS = 60_000;
  private static final ContentType PROMETHEUS = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");
  private static final CompletionStage<HttpResponse> HEALTH = CompletableFuture.completedFuture(HttpResponse.create());
  private static final HttpResponse CLIENT_GONE = SimError.response(503, "ServiceUnavailableError", null,
      "The client closed the connection");

  private final SimSettings settings;
  private final ActorSystem<?> system;
  private final Map<String, Engine> engines = new LinkedHashMap<>();
  private final CompletionStage<HttpResponse> models;
  private final ScheduledExecutorService timers;
  private final TokenClock clock;

  SimHandler(SimSettings settings, ActorSystem<?> system) {
    this.settings = settings;
    this.system = system;
    this.timers = TokenClock.newExecutor("llm-sim-tokens");
    this.clock = TokenClock.of(timers);
    LatencyModel latency = new LatencyModel(settings.ttftMs(), settings.itlMs(), settings.maxNumSeqs(),
        settings.prefillMsPer1k());
    for (String m : settings.models()) {
      engines.put(m, new Engine(m, latency, new PrefixCache(settings.kvCacheTokens())));
    }
    long created = System.currentTimeMillis() / 1000;
    List<OpenAiShapes.ModelCard> cards = settings.models().stream()
        .map(m -> OpenAiShapes.ModelCard.of(m, created, settings.maxModelLen(), "modelperm-" + Ids.hex()))
        .toList();
    this.models = CompletableFuture.completedFuture(json(new OpenAiShapes.ModelList("list", cards)));
  }

  /** Stops the token timers: generations still running never finish. */
  void close() {
    timers.shutdownNow();
  }

  SimStats stats() {
    SimStats total = SimStats.ZERO;
    for (Engine e : engines.values()) {
      total = total.plus(e.stats());
    }
    return total;
  }

  SimStats stats(String model) {
    Engine e = engines.get(model);
    if (e == null) {
      throw new IllegalArgumentException("model: '" + model + "' (expected: one of " + engines.keySet() + ")");
    }
    return e.stats();
  }

  /** Answers one request that came on {@code connection}; never blocks. */
  CompletionStage<HttpResponse> apply(HttpRequest request, ClientConnection connection) {
    String path = request.getUri().path();
    switch (path) {
      case "/v1/chat/completions":
        return post(request, SimRequest.Kind.CHAT, connection);
      case "/v1/completions":
        return post(request, SimRequest.Kind.COMPLETION, connection);
      case "/v1/models":
        return get(request, models);
      case "/health":
        return get(request, HEALTH);
      case "/metrics":
        return get(request, null);
      case "/reset_prefix_cache":
        return resetPrefixCache(request);
      default:
        request.discardEntityBytes(system);
        return CompletableFuture.completedFuture(SimError.notFound("No endpoint " + request.method().value() + " "
            + path + "; llm-sim serves POST /v1/chat/completions, POST /v1/completions, GET /v1/models,"
            + " GET /health, GET /metrics and POST /reset_prefix_cache").toResponse());
    }
  }

  /** vLLM's {@code POST /reset_prefix_cache} (a development endpoint there): every engine forgets its cache. */
  private CompletionStage<HttpResponse> resetPrefixCache(HttpRequest request) {
    request.discardEntityBytes(system);
    if (!HttpMethods.POST.equals(request.method())) {
      return methodNotAllowed(request, HttpMethods.POST);
    }
    engines.values().forEach(e -> e.prefixCache().reset());
    return HEALTH;
  }

  private CompletionStage<HttpResponse> get(HttpRequest request, CompletionStage<HttpResponse> fixed) {
    request.discardEntityBytes(system);
    if (!HttpMethods.GET.equals(request.method())) {
      return methodNotAllowed(request, HttpMethods.GET);
    }
    if (fixed != null) {
      return fixed;
    }
    String text = Metrics.render(engines.values(), settings.maxNumSeqs());
    return CompletableFuture.completedFuture(HttpResponse.create().withEntity(PROMETHEUS, ByteString.fromString(text)));
  }

  private CompletionStage<HttpResponse> post(HttpRequest request, SimRequest.Kind kind, ClientConnection connection) {
    if (!HttpMethods.POST.equals(request.method())) {
      request.discardEntityBytes(system);
      return methodNotAllowed(request, HttpMethods.POST);
    }
    if (request.entity() instanceof HttpEntity.Strict strict) {
      // The usual case: the whole body came with the headers. toStrict would still run a stream.
      return strict.getData().size() > MAX_BODY_BYTES
          ? CompletableFuture.completedFuture(tooLarge())
          : answer(kind, strict.getData().toArrayUnsafe(), connection);
    }
    return request.entity().toStrict(BODY_TIMEOUT_MS, MAX_BODY_BYTES, system)
        .<CompletionStage<HttpResponse>>handle((strict, error) -> error != null
            ? CompletableFuture.completedFuture(unreadableBody(error))
            : answer(kind, strict.getData().toArrayUnsafe(), connection))
        .thenCompose(answer -> answer);
  }

  private CompletionStage<HttpResponse> answer(SimRequest.Kind kind, byte[] body, ClientConnection connection) {
    try {
      SimRequest req = SimRequest.parse(kind, body);
      String model = req.model() == null ? settings.models().get(0) : req.model();
      Engine engine = engines.get(model);
      if (engine == null) {
        throw SimError.modelNotFound(model);
      }
      SimRequest.Plan plan = req.plan(settings.maxTokens(), settings.maxModelLen());
      if (settings.failRate() > 0 && ThreadLocalRandom.current().nextDouble() < settings.failRate()) {
        engine.recordFailed();
        return CompletableFuture.completedFuture(SimError.response(500, "InternalServerError", null,
            "llm-sim: simulated failure (--fail-rate " + settings.failRate() + ")"));
      }
      log.debug("{} request for {}: {} prompt tokens, answering {} tokens ({}), stream={}", kind, model,
          req.promptTokens(), plan.tokens(), plan.finishReason(), req.stream());
      return req.stream() ? stream(engine, req, plan, connection) : complete(engine, req, plan, connection);
    } catch (SimError e) {
      log.debug("Answering {}: {}", e.status(), e.getMessage());
      return CompletableFuture.completedFuture(e.toResponse());
    }
  }

  private CompletionStage<HttpResponse> complete(Engine engine, SimRequest req, SimRequest.Plan plan,
      ClientConnection connection) {
    long created = System.currentTimeMillis() / 1000;
    CompletableFuture<HttpResponse> answer = new CompletableFuture<>();
    CompletableFuture<Generation> self = new CompletableFuture<>(); // the listener needs its generation
    Generation generation = new Generation(engine, plan.tokens(), req.prompt(), clock, (count, finished) -> {
      if (finished) {
        answer.complete(json(render(engine.model(), req, plan, created, self.join().cachedTokens())));
      }
    });
    self.complete(generation);
    Runnable unregister = connection.onClose(() -> {
      generation.cancel();
      answer.complete(CLIENT_GONE); // nobody reads it: this only ends the request on the server
    });
    answer.whenComplete((response, error) -> unregister.run());
    generation.start();
    return answer;
  }

  private static Object render(String model, SimRequest req, SimRequest.Plan plan, long created, int cachedTokens) {
    OpenAiShapes.Usage usage = OpenAiShapes.Usage.of(req.promptTokens(), plan.tokens(), cachedTokens);
    String text = Words.text(plan.tokens());
    return req.kind() == SimRequest.Kind.CHAT
        ? OpenAiShapes.ChatCompletion.of("chatcmpl-" + Ids.hex(), created, model, text, plan.finishReason(), usage)
        : OpenAiShapes.Completion.of("cmpl-" + Ids.hex(), created, model, text, plan.finishReason(), usage);
  }

  private CompletionStage<HttpResponse> stream(Engine engine, SimRequest req, SimRequest.Plan plan,
      ClientConnection connection) {
    String id = (req.kind() == SimRequest.Kind.CHAT ? "chatcmpl-" : "cmpl-") + Ids.hex();
    SseEvents events = new SseEvents(req.kind(), id, System.currentTimeMillis() / 1000,
        Words.quote(engine.model()), req.promptTokens(), plan, req.includeUsage());
    TokenStream body = new TokenStream(
        listener -> new Generation(engine, plan.tokens(), req.prompt(), clock, listener), events, connection);
    return CompletableFuture.completedFuture(HttpResponse.create()
        .withEntity(HttpEntities.createChunked(MediaTypes.TEXT_EVENT_STREAM.toContentType(), Source.fromGraph(body))));
  }

  private static CompletionStage<HttpResponse> methodNotAllowed(HttpRequest request, HttpMethod allowed) {
    HttpResponse r = SimError.response(405, "MethodNotAllowedError", null, "Method " + request.method().value()
        + " is not allowed on " + request.getUri().path() + " (expected: " + allowed.value() + ")");
    return CompletableFuture.completedFuture(r.addHeader(Allow.create(allowed)));
  }

  private static HttpResponse unreadableBody(Throwable t) {
    Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (cause instanceof EntityStreamSizeException) {
      return tooLarge();
    }
    log.debug("Cannot read a request body", cause);
    return SimError.response(400, "BadRequestError", null, "Cannot read the request body: " + cause);
  }

  private static HttpResponse tooLarge() {
    return SimError.response(413, "BadRequestError", null, "The request body is larger than " + MAX_BODY_BYTES
        + " bytes");
  }

  private static HttpResponse json(Object body) {
    try {
      return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, Json.MAPPER.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render " + body.getClass().getSimpleName(), e);
    }
  }
}
