package org.opentela.http;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import org.opentela.config.ConfigReader;
import org.opentela.config.UsageException;

/**
 * How the HTTP API treats connections and browsers, read from {@code otela.http.*}.
 *
 * @param headerTimeout            time a client has, from the first byte of a request, to send all its headers
 * @param idleTimeout              a keep-alive connection with no request in flight is closed after this long
 * @param maxConnections           open connections at most; more are answered 503 and closed at once
 * @param maxConnectionsPerAddress open connections from one client address at most (0: no limit)
 * @param corsOrigins              origins browsers may call from; {@code *} means any, without credentials
 */
public record HttpSettings(Duration headerTimeout, Duration idleTimeout, int maxConnections,
    int maxConnectionsPerAddress, List<String> corsOrigins) {

  public HttpSettings {
    corsOrigins = List.copyOf(corsOrigins);
  }

  public static HttpSettings fromConfig(Config config) {
    ConfigReader r = new ConfigReader(config);
    List<String> origins = r.list("otela.http.cors_origins");
    for (String o : origins) {
      if (!o.equals("*") && !Cors.isOrigin(o)) {
        throw UsageException.badValue("otela.http.cors_origins", o,
            "* or origins such as https://app.example.com or http://localhost:3000, comma-separated");
      }
    }
    return new HttpSettings(r.duration("otela.http.header_timeout"), r.duration("otela.http.idle_timeout"),
        r.intInRange("otela.http.max_connections", 1, 1_000_000),
        r.intInRange("otela.http.max_connections_per_address", 0, 1_000_000), origins);
  }

  /** The defaults of reference.conf, for tests and tools that bind the API without a command line. */
  public static HttpSettings defaults() {
    return fromConfig(com.typesafe.config.ConfigFactory.defaultReference());
  }
}
