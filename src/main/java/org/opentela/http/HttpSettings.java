package org.opentela.http;

import com.typesafe.config.Config;
import java.time.Duration;
import org.opentela.config.ConfigReader;

/**
 * How the HTTP API treats connections, read from {@code otela.http.*}.
 *
 * @param headerTimeout            time a client has, from the first byte of a request, to send all its headers
 * @param idleTimeout              a keep-alive connection with no request in flight is closed after this long
 * @param maxConnections           open connections at most; more are answered 503 and closed at once
 * @param maxConnectionsPerAddress open connections from one client address at most (0: no limit)
 */
public record HttpSettings(Duration headerTimeout, Duration idleTimeout, int maxConnections,
    int maxConnectionsPerAddress) {

  public static HttpSettings fromConfig(Config config) {
    ConfigReader r = new ConfigReader(config);
    return new HttpSettings(r.duration("otela.http.header_timeout"), r.duration("otela.http.idle_timeout"),
        r.intInRange("otela.http.max_connections", 1, 1_000_000),
        r.intInRange("otela.http.max_connections_per_address", 0, 1_000_000));
  }

  /** The defaults of reference.conf, for tests and tools that bind the API without a command line. */
  public static HttpSettings defaults() {
    return fromConfig(com.typesafe.config.ConfigFactory.defaultReference());
  }
}
