package org.opentela.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.ApiErrorAssert.assertApiError;

import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentela.ApiError;
import org.opentela.config.UsageException;

/** CORS: any origin only without credentials; listed origins may send them; others are refused when listed. */
class CorsTest {
  private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
      "pekko.actor.provider = local"));
  private static ServerBinding open;
  private static ServerBinding listed;

  @BeforeAll
  static void bind() throws Exception {
    open = Http.get(testKit.system()).newServerAt("127.0.0.1", 0)
        .bind(HttpApi.route(List.of(path("ok", () -> complete("ok"))))).toCompletableFuture().get(10, TimeUnit.SECONDS);
    listed = Http.get(testKit.system()).newServerAt("127.0.0.1", 0)
        .bind(HttpApi.route(List.of(path("ok", () -> complete("ok"))), new Cors(List.of("https://app.example.com"))))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static HttpResponse<String> send(ServerBinding b, String method, String... headers) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + b.localAddress().getPort() + "/ok"))
        .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
    for (int i = 0; i + 1 < headers.length; i += 2) {
      r.header(headers[i], headers[i + 1]);
    }
    return org.opentela.testing.Http.client().send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void byDefaultAnyOriginIsAllowedWithoutCredentials() throws Exception {
    HttpResponse<String> r = send(open, "GET", "Origin", "https://evil.example");
    assertEquals(200, r.statusCode());
    assertEquals("*", r.headers().firstValue("Access-Control-Allow-Origin").orElseThrow(), "never the echoed origin");
    assertTrue(r.headers().firstValue("Access-Control-Allow-Credentials").isEmpty(),
        "a browser must not send a user's cookies or HTTP auth to a page of any origin");
    HttpResponse<String> preflight = send(open, "OPTIONS", "Origin", "https://evil.example",
        "Access-Control-Request-Method", "POST");
    assertEquals(200, preflight.statusCode());
    String allowed = preflight.headers().firstValue("Access-Control-Allow-Headers").orElseThrow();
    assertTrue(allowed.contains("authorization") && !allowed.contains("x-otela-trust"), allowed);
  }

  @Test
  void aListedOriginIsEchoedAndMaySendCredentials() throws Exception {
    HttpResponse<String> r = send(listed, "GET", "Origin", "https://app.example.com");
    assertEquals(200, r.statusCode());
    assertEquals("https://app.example.com", r.headers().firstValue("Access-Control-Allow-Origin").orElseThrow());
    assertEquals("true", r.headers().firstValue("Access-Control-Allow-Credentials").orElseThrow());
    assertTrue(r.headers().allValues("Vary").stream().anyMatch(v -> v.contains("Origin")));
  }

  @Test
  void aCredentialedRequestFromAnOriginNotListedIsRefused() throws Exception {
    HttpResponse<String> r = send(listed, "GET", "Origin", "https://evil.example", "Cookie", "session=1");
    assertTrue(assertApiError(ApiError.CORS_ORIGIN_NOT_ALLOWED, r).get("message").asText().contains("evil.example"));
    assertTrue(r.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
    HttpResponse<String> preflight = send(listed, "OPTIONS", "Origin", "https://evil.example",
        "Access-Control-Request-Method", "POST");
    assertApiError(ApiError.CORS_ORIGIN_NOT_ALLOWED, preflight);
    assertFalse(preflight.headers().firstValue("Access-Control-Allow-Credentials").isPresent());
    // Clients that are not browsers send no Origin, and are not affected.
    assertEquals(200, send(listed, "GET").statusCode());
  }

  @Test
  void theOriginListIsCheckedAtStart() {
    HttpSettings ok = HttpSettings.fromConfig(ConfigFactory.parseString(
        "otela.http.cors_origins = \"https://a.example, http://localhost:3000\"").withFallback(
        ConfigFactory.defaultReference()));
    assertEquals(List.of("https://a.example", "http://localhost:3000"), ok.corsOrigins());
    assertThrows(UsageException.class, () -> HttpSettings.fromConfig(ConfigFactory.parseString(
        "otela.http.cors_origins = \"javascript:alert(1)\"").withFallback(ConfigFactory.defaultReference())));
  }
}
