package org.opentela.sim;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.javadsl.Flow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code otela llm-sim}: a simulated OpenAI-compatible LLM server with vLLM's wire format, latency that
 * grows with load ({@link LatencyModel}), vLLM's Prometheus gauges, and cancellation when a streaming
 * client goes away. For demos, tests and benchmarks of the router without a GPU.
 *
 * <p>From the command line, {@link #run(Config)} serves until SIGTERM or SIGINT. In a JVM, tests and
 * benchmarks {@link #start(SimSettings)} one (port 0 = any free port) and {@link #close()} it:
 *
 * <pre>{@code
 * try (LlmSim sim = LlmSim.start(SimSettings.defaults().withPort(0).withModels("m").withLatency(0, 0))) {
 *   URI chat = URI.create(sim.baseUrl() + "/chat/completions");
 *   ...
 *   assertEquals(0, sim.stats().running());
 * }
 * }</pre>
 *
 * <p>A sim started on its own runs its own plain local ActorSystem: never the cluster provider, so no
 * remoting, cluster or management port, whatever application.conf says.
 */
public final class LlmSim implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LlmSim.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
  /**
   * When the sim stops, Pekko HTTP's hard deadline for requests in flight: a pending non-streaming answer
   * gets a 503 after it; streams already answering are cut at once (like a killed vLLM).
   */
  private static final Duration STOP_DEADLINE = Duration.ofSeconds(2);

  /**
   * Pekko settings of the sim's own ActorSystem, over any others: a local provider, because the otela
   * node's application.conf asks for a cluster (remoting on --tcpport) that a backend must not start.
   */
  static final Config PEKKO_OVERRIDES = ConfigFactory.parseString(String.join("\n",
      "pekko.actor.provider = local",
      "pekko.coordinated-shutdown.exit-jvm = off"));

  private final SimSettings settings;
  private final ServerBinding binding;
  private final SimHandler handler;
  private final ActorSystem<?> system;
  private final boolean ownsSystem;

  private LlmSim(SimSettings settings, ServerBinding binding, SimHandler handler, ActorSystem<?> system,
      boolean ownsSystem) {
    this.settings = settings;
    this.binding = binding;
    this.handler = handler;
    this.system = system;
    this.ownsSystem = ownsSystem;
  }

  /** Runs {@code otela llm-sim} with the merged config until the JVM is told to stop; returns the exit code. */
  public static int run(Config config) {
    SimSettings settings = SimSettings.fromConfig(config);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "llm-sim", PEKKO_OVERRIDES.withFallback(config));
    LlmSim sim;
    try {
      sim = await(bind(settings, system, true));
    } catch (IllegalStateException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause.getCause() instanceof BindException bind) {
        // A user error, fully described by its message: no stack trace.
        log.error("llm-sim cannot listen on {}:{} ({}); choose a free --port, or --port 0 for any",
            settings.host(), settings.port(), bind.getMessage());
      } else {
        log.error("llm-sim cannot listen on {}:{}", settings.host(), settings.port(), e);
      }
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
      return 1;
    }
    log.info("llm-sim serves {} at {} (OpenAI API; also /health and /metrics); time to first token {} ms"
        + " + {} ms per 1k uncached prompt tokens, {} ms per token, {} tokens per answer, prefix cache of {} tokens"
        + " per model; stop it with Ctrl-C", settings.models(), sim.baseUrl(), settings.ttftMs(),
        settings.prefillMsPer1k(), settings.itlMs(), settings.maxTokens(), settings.kvCacheTokens());
    system.getWhenTerminated().toCompletableFuture().join();
    return 0;
  }

  /**
   * Starts a sim in its own local ActorSystem (settings from this JVM's config plus
   * {@link #PEKKO_OVERRIDES}) and waits until it listens. Call from a test or main thread, not an actor.
   */
  public static LlmSim start(SimSettings settings) {
    requireNonNull(settings, "settings");
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "llm-sim",
        PEKKO_OVERRIDES.withFallback(ConfigFactory.load()));
    try {
      return await(bind(settings, system, true));
    } catch (RuntimeException e) {
      system.terminate();
      throw e;
    }
  }

  /**
   * Starts a sim in an existing ActorSystem (e.g. an {@code ActorTestKit}'s) and waits until it listens;
   * {@link #close()} unbinds it and leaves the system running.
   */
  public static LlmSim start(SimSettings settings, ActorSystem<?> system) {
    return await(bind(settings, system, false));
  }

  /** Like {@link #start(SimSettings, ActorSystem)} without waiting: for actors, which must not block. */
  public static CompletionStage<LlmSim> bind(SimSettings settings, ActorSystem<?> system) {
    return bind(settings, system, false);
  }

  private static CompletionStage<LlmSim> bind(SimSettings settings, ActorSystem<?> system, boolean ownsSystem) {
    requireNonNull(settings, "settings");
    requireNonNull(system, "system");
    SimHandler handler = new SimHandler(settings, system);
    system.getWhenTerminated().thenRun(handler::close);
    ServerSettings server = ServerSettings.create(system.classicSystem());
    // Streams can stay silent for long (a slow simulated answer waiting for a slot); a client that wants a
    // timeout sets its own. A client that goes away must free its slot at once, as vLLM aborts the request:
    // Pekko HTTP's default cancellation delay (100 ms, about a second in practice) would keep it running.
    server = server.withTimeouts(server.getTimeouts()
        .withIdleTimeout(scala.concurrent.duration.Duration.create(15, TimeUnit.MINUTES))
        .withRequestTimeout(scala.concurrent.duration.Duration.Inf()))
        .withStreamCancellationDelay(scala.concurrent.duration.Duration.Zero())
        .withMaxConnections(Math.max(server.getMaxConnections(), 4096));
    // What bind(handler) does, plus noticing when each client closes its connection (its requests end).
    int pipeliningLimit = server.getPipeliningLimit();
    Flow<HttpRequest, HttpResponse, ?> perConnection = Flow.fromMaterializer((mat, attributes) -> {
      ClientConnection connection = new ClientConnection();
      return Flow.of(HttpRequest.class)
          .watchTermination((notUsed, requestsEnded) -> requestsEnded.whenComplete((d, e) -> connection.close()))
          .mapAsync(pipeliningLimit, request -> handler.apply(request, connection));
    });
    return Http.get(system).newServerAt(settings.host(), settings.port()).withSettings(server)
        .bindFlow(perConnection)
        // In its own system the binding is stopped by coordinated shutdown (SIGTERM, close()); in another
        // system by close(), which may come long before that system ends.
        .thenApply(b -> new LlmSim(settings, ownsSystem ? b.addToCoordinatedShutdown(STOP_DEADLINE, system) : b,
            handler, system, ownsSystem))
        .whenComplete((sim, error) -> {
          if (error != null) {
            handler.close();
          }
        });
  }

  private static LlmSim await(CompletionStage<LlmSim> binding) {
    try {
      return binding.toCompletableFuture().get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | CompletionException e) {
      throw new IllegalStateException("llm-sim cannot start: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("llm-sim did not bind within " + START_TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting llm-sim", e);
    }
  }

  /** The port it listens on (the chosen one when started with port 0). */
  public int port() {
    return binding.localAddress().getPort();
  }

  /** The OpenAI base URL, e.g. {@code http://127.0.0.1:8080/v1} (a wildcard host shows as 127.0.0.1). */
  public String baseUrl() {
    InetSocketAddress a = binding.localAddress();
    String host = a.getAddress() == null || a.getAddress().isAnyLocalAddress() ? "127.0.0.1"
        : a.getAddress().getHostAddress();
    if (host.indexOf(':') >= 0) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + a.getPort() + "/v1";
  }

  /** The ActorSystem it runs in (its own, or the one it was started in). */
  ActorSystem<?> system() {
    return system;
  }

  public SimSettings settings() {
    return settings;
  }

  public List<String> models() {
    return settings.models();
  }

  /** Counters and gauges summed over all models. */
  public SimStats stats() {
    return handler.stats();
  }

  /** Counters and gauges of one served model. */
  public SimStats stats(String model) {
    return handler.stats(model);
  }

  /**
   * Stops listening, closes the open connections (their generations count as cancelled), and terminates
   * the ActorSystem if the sim started it. Blocks until done.
   */
  @Override
  public void close() {
    CompletableFuture<?> stopped;
    if (ownsSystem) {
      system.terminate();
      stopped = system.getWhenTerminated().toCompletableFuture();
    } else {
      stopped = binding.terminate(STOP_DEADLINE).toCompletableFuture();
    }
    try {
      stopped.get(STOP_DEADLINE.toMillis() + START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("llm-sim on port {} did not stop cleanly", port(), e);
    } finally {
      handler.close();
    }
  }
}
