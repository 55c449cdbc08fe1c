package org.opentela.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.opentela.Version;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's tracer, or none. Every place on the request path that makes spans asks {@link #enabled()} first,
 * so with tracing off a request costs what it did before tracing existed: no span objects, no header copies.
 *
 * <p>The trace context travels as the W3C {@code traceparent} (and {@code tracestate}) request header: the
 * head's front end continues the client's, the router puts each try's context into the headers it forwards,
 * and the worker's proxy puts its backend call's context into the headers the backend gets. So the context
 * crosses the cluster inside the forwarded message without a field of its own, and a backend such as vLLM
 * exports its spans under the worker's. Sampling is the SDK's, configured by {@code OTEL_TRACES_SAMPLER}.
 */
public final class Tracing {
  private static final Logger log = LoggerFactory.getLogger(Tracing.class);
  public static final String TRACEPARENT = "traceparent";
  public static final String TRACESTATE = "tracestate";
  /** Tracing off: {@link #enabled()} is false and nothing is exported. */
  public static final Tracing OFF = new Tracing(OpenTelemetry.noop(), false, null);

  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final TextMapGetter<List<String>> FROM_PAIRS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(List<String> pairs) {
      List<String> names = new ArrayList<>(pairs.size() / 2);
      for (int i = 0; i + 1 < pairs.size(); i += 2) {
        names.add(pairs.get(i));
      }
      return names;
    }

    @Override
    public String get(List<String> pairs, String key) {
      if (pairs == null) {
        return null;
      }
      for (int i = 0; i + 1 < pairs.size(); i += 2) {
        if (pairs.get(i).equalsIgnoreCase(key)) {
          return pairs.get(i + 1);
        }
      }
      return null;
    }
  };
  private static final TextMapSetter<List<String>> TO_PAIRS = (pairs, key, value) -> {
    if (pairs != null) {
      pairs.add(key);
      pairs.add(value);
    }
  };

  private final OpenTelemetry otel;
  private final Tracer tracer;
  private final boolean enabled;
  private final OpenTelemetrySdk sdk;

  private Tracing(OpenTelemetry otel, boolean enabled, OpenTelemetrySdk sdk) {
    this.otel = otel;
    this.tracer = otel.getTracer("org.opentela", Version.CURRENT);
    this.enabled = enabled;
    this.sdk = sdk;
  }

  /** Tracing through {@code otel} (tests give an SDK with an in-memory exporter). */
  public static Tracing of(OpenTelemetry otel) {
    return new Tracing(Objects.requireNonNull(otel, "otel"), true, null);
  }

  /**
   * The SDK configured the standard way ({@code OTEL_*} variables and {@code otel.*} system properties:
   * sampler, resource, headers, batching), exporting spans by OTLP over HTTP; {@code --otel.endpoint}
   * overrides the endpoint. {@link #OFF} when the settings say so, or when the SDK cannot be configured
   * (that is logged with what to fix: a node without traces still routes).
   */
  public static Tracing start(TelemetrySettings settings, String peerId, String role) {
    if (!settings.enabled()) {
      return OFF;
    }
    Map<String, String> defaults = new HashMap<>();
    defaults.put("otel.service.name", "otela");
    defaults.put("otel.traces.exporter", "otlp");
    defaults.put("otel.metrics.exporter", "none"); // metrics are Prometheus's, at /metrics
    defaults.put("otel.logs.exporter", "none");
    defaults.put("otel.exporter.otlp.protocol", "http/protobuf"); // the JDK's HTTP client; no gRPC sender
    try {
      OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
          .addPropertiesSupplier(() -> defaults)
          .addPropertiesCustomizer(props -> settings.endpoint().isEmpty() ? Map.of()
              : Map.of("otel.exporter.otlp.endpoint", settings.endpoint()))
          .addResourceCustomizer((resource, props) -> resource.merge(Resource.create(Attributes.of(
              AttributeKey.stringKey("service.instance.id"), peerId,
              AttributeKey.stringKey("service.version"), Version.CURRENT,
              AttributeKey.stringKey("otela.role"), role))))
          .disableShutdownHook()
          .build()
          .getOpenTelemetrySdk();
      log.info("Tracing on: spans go to {} by OTLP/HTTP (sampler: {})",
          settings.endpoint().isEmpty() ? "OTEL_EXPORTER_OTLP_ENDPOINT" : settings.endpoint(),
          System.getenv().getOrDefault("OTEL_TRACES_SAMPLER", "parentbased_always_on"));
      return new Tracing(sdk, true, sdk);
    } catch (RuntimeException e) {
      log.error("Tracing is off: the OpenTelemetry SDK could not be configured from --otel.endpoint and the"
          + " OTEL_* variables ({}). otela exports OTLP over HTTP only (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf,"
          + " usually port 4318).", e.getMessage(), e);
      return OFF;
    }
  }

  public boolean enabled() {
    return enabled;
  }

  public Tracer tracer() {
    return tracer;
  }

  public OpenTelemetry openTelemetry() {
    return otel;
  }

  /** The context carried by the {@code traceparent}/{@code tracestate} headers among name, value pairs. */
  public Context extract(List<String> headerPairs) {
    return W3C.extract(Context.root(), headerPairs, FROM_PAIRS);
  }

  /** A copy of {@code headerPairs} whose trace context headers carry {@code span}'s context instead. */
  public List<String> withSpan(List<String> headerPairs, Span span) {
    List<String> out = new ArrayList<>(headerPairs.size() + 4);
    for (int i = 0; i + 1 < headerPairs.size(); i += 2) {
      String name = headerPairs.get(i);
      if (!name.equalsIgnoreCase(TRACEPARENT) && !name.equalsIgnoreCase(TRACESTATE)) {
        out.add(name);
        out.add(headerPairs.get(i + 1));
      }
    }
    W3C.inject(Context.root().with(span), out, TO_PAIRS);
    return out;
  }

  /** The trace id of {@code span} when it is sampled (worth an exemplar), else null. */
  public static String sampledTraceId(Span span) {
    SpanContext c = span.getSpanContext();
    return c.isValid() && c.isSampled() ? c.getTraceId() : null;
  }

  /** Exports what is buffered and stops the exporter; completes when done (at once when off). */
  public CompletionStage<Void> shutdown() {
    if (sdk == null) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    sdk.shutdown().whenComplete(() -> done.complete(null));
    return done;
  }
}
