package org.opentela.telemetry;

import com.typesafe.config.Config;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import org.opentela.config.ConfigReader;
import org.opentela.config.UsageException;

/**
 * Settings of tracing, from {@code otela.otel.*} and the standard {@code OTEL_*} environment.
 *
 * @param endpoint the OTLP/HTTP endpoint (e.g. {@code http://collector:4318}) from {@code --otel.endpoint},
 *                 or "" to take it from {@code OTEL_EXPORTER_OTLP_ENDPOINT} (or its traces-only variant)
 * @param enabled  whether spans are recorded and exported at all: an endpoint is configured one way or
 *                 the other, and {@code OTEL_SDK_DISABLED} / {@code OTEL_TRACES_EXPORTER=none} do not say no
 */
public record TelemetrySettings(String endpoint, boolean enabled) {
  public static final TelemetrySettings OFF = new TelemetrySettings("", false);

  public static TelemetrySettings fromConfig(Config config) {
    return fromConfig(config, System.getenv());
  }

  /** As {@link #fromConfig(Config)}, with the environment given (for tests). */
  public static TelemetrySettings fromConfig(Config config, Map<String, String> env) {
    String endpoint = new ConfigReader(config).string("otela.otel.endpoint").trim();
    if (!endpoint.isEmpty()) {
      checkUrl(endpoint);
    }
    boolean fromEnv = !env.getOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT", "").isBlank()
        || !env.getOrDefault("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").isBlank()
        || System.getProperty("otel.exporter.otlp.endpoint") != null
        || System.getProperty("otel.exporter.otlp.traces.endpoint") != null;
    boolean vetoed = "true".equalsIgnoreCase(env.getOrDefault("OTEL_SDK_DISABLED", "").trim())
        || "none".equalsIgnoreCase(env.getOrDefault("OTEL_TRACES_EXPORTER", "").trim());
    return new TelemetrySettings(endpoint, (fromEnv || !endpoint.isEmpty()) && !vetoed);
  }

  private static void checkUrl(String endpoint) {
    try {
      URI u = new URI(endpoint);
      if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
        throw new URISyntaxException(endpoint, "not an http(s) URL with a host");
      }
    } catch (URISyntaxException e) {
      throw UsageException.badValue("otela.otel.endpoint", endpoint,
          "an OTLP/HTTP URL such as http://collector:4318");
    }
  }
}
