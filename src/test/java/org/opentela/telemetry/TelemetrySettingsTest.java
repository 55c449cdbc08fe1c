package org.opentela.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentela.config.UsageException;

class TelemetrySettingsTest {
  static Config config(String endpoint) {
    return ConfigFactory.parseMap(Map.of("otela.otel.endpoint", endpoint)).withFallback(ConfigFactory.defaultReference());
  }

  @Test
  void tracingIsOffUnlessAnEndpointIsConfigured() {
    assertFalse(TelemetrySettings.fromConfig(config(""), Map.of()).enabled());
    assertTrue(TelemetrySettings.fromConfig(config("http://collector:4318"), Map.of()).enabled());
    assertTrue(TelemetrySettings.fromConfig(config(""), Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")).enabled());
    assertTrue(TelemetrySettings.fromConfig(config(""),
        Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/v1/traces")).enabled());
  }

  @Test
  void theStandardVariablesCanSayNo() {
    assertFalse(TelemetrySettings.fromConfig(config("http://c:4318"), Map.of("OTEL_SDK_DISABLED", "true")).enabled());
    assertFalse(TelemetrySettings.fromConfig(config("http://c:4318"), Map.of("OTEL_TRACES_EXPORTER", "none")).enabled());
  }

  @Test
  void aBadEndpointIsAUsageErrorNamingTheFlag() {
    UsageException e = assertThrows(UsageException.class,
        () -> TelemetrySettings.fromConfig(config("collector:4318"), Map.of()));
    assertTrue(e.getMessage().contains("--otel.endpoint"), e.getMessage());
    assertThrows(UsageException.class, () -> TelemetrySettings.fromConfig(config("ftp://c/x"), Map.of()));
  }

  @Test
  void withSpanReplacesTheTraceHeadersAndExtractReadsThemBack() {
    InMemorySpanExporter exported = InMemorySpanExporter.create();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(exported)).build()).build();
    Tracing tracing = Tracing.of(sdk);
    Span span = tracing.tracer().spanBuilder("s").startSpan();
    List<String> headers = new ArrayList<>(List.of("Content-Type", "application/json",
        "TraceParent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "tracestate", "x=1"));
    List<String> out = tracing.withSpan(headers, span);
    assertEquals(List.of("Content-Type", "application/json", "traceparent",
        "00-" + span.getSpanContext().getTraceId() + "-" + span.getSpanContext().getSpanId() + "-"
        + span.getSpanContext().getTraceFlags().asHex()), out,
        "the client's trace headers are replaced, not duplicated");
    assertEquals(span.getSpanContext().getSpanId(),
        Span.fromContext(tracing.extract(out)).getSpanContext().getSpanId());
    assertEquals(span.getSpanContext().getTraceId(), Tracing.sampledTraceId(span));
    span.end();
    sdk.close();
    assertFalse(Tracing.OFF.enabled());
  }
}
