package org.opentela.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.ApiErrorAssert.assertErrorBody;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.opentela.ApiError;
import org.opentela.testing.RawHttp;

/**
 * The node's HTTP server against clients that misbehave on purpose: slow headers, idle connections,
 * too many connections, and requests Pekko's parser rejects, which must come back as catalogue JSON.
 */
class HttpServerTest {
  private static final ActorTestKit testKit = ActorTestKit.create(com.typesafe.config.ConfigFactory.parseString(
      "pekko.actor.provider = local").withFallback(com.typesafe.config.ConfigFactory.load()));
  private final List<HttpServer> servers = new ArrayList<>();
  private final List<Socket> sockets = new ArrayList<>();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @AfterEach
  void close() throws Exception {
    for (Socket s : sockets) {
      s.close();
    }
    for (HttpServer s : servers) {
      s.terminate(Duration.ofSeconds(1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private int serve(Duration header, Duration idle, int max, int perAddress) throws Exception {
    Route routes = concat(
        path("ok", () -> complete("ok")),
        path("slow", () -> onSuccess(CompletableFuture.supplyAsync(() -> "late",
            CompletableFuture.delayedExecutor(2, TimeUnit.SECONDS)), r -> complete(r))));
    HttpServer s = HttpServer.bind(testKit.system(), "127.0.0.1", 0,
        new HttpSettings(header, idle, max, perAddress, List.of("*")), HttpApi.route(List.of(routes)))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    servers.add(s);
    return s.localAddress().getPort();
  }

  private Socket open(int port, String from) throws Exception {
    Socket s = RawHttp.connect(port, from);
    sockets.add(s);
    return s;
  }

  private static JsonNode assertJsonError(ApiError expected, RawHttp.Answer a) {
    assertEquals(expected.status(), a.status(), () -> "after " + a.tookMs() + " ms, closed " + a.closed() + ": " + a.text());
    assertTrue(a.text().toLowerCase().contains("content-type: application/json"), a.text());
    return assertErrorBody(expected, a.body());
  }

  @Test
  void aClientTooSlowToSendItsHeadersIsAnswered408AndCutOff() throws Exception {
    int port = serve(Duration.ofSeconds(1), Duration.ofSeconds(60), 100, 100);
    Socket s = open(port, null);
    OutputStream out = s.getOutputStream();
    long start = System.nanoTime();
    out.write("GET /ok HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
    // One byte every 100 ms, as a slowloris client: never a whole head within the timeout.
    Thread trickle = new Thread(() -> {
      try {
        for (int i = 0; i < 100; i++) {
          Thread.sleep(100);
          out.write('a');
          out.flush();
        }
      } catch (Exception closed) {
        // the server cut us off
      }
    });
    trickle.setDaemon(true);
    trickle.start();
    RawHttp.Answer a = RawHttp.read(s, Duration.ofSeconds(20), start);
    assertTrue(a.closed(), "the connection is closed: " + a.text());
    JsonNode e = assertJsonError(ApiError.REQUEST_HEADER_TIMEOUT, a);
    assertTrue(e.get("message").asText().contains("1000 ms"), e.toString());
    assertTrue(a.tookMs() >= 900, "not before the timeout: " + a.tookMs() + " ms");
    assertTrue(a.tookMs() < 6000, "cut off " + a.tookMs() + " ms after the first byte (timeout 1 s)");
  }

  @Test
  void aConnectionThatSendsNothingIsClosedAtTheIdleTimeoutButARequestInFlightIsNot() throws Exception {
    int port = serve(Duration.ofSeconds(5), Duration.ofSeconds(1), 100, 100);
    Socket idle = open(port, null);
    long start = System.nanoTime();
    RawHttp.Answer a = RawHttp.read(idle, Duration.ofSeconds(20), start);
    assertTrue(a.closed() && a.text().isEmpty(), a.text());
    assertTrue(a.tookMs() >= 900 && a.tookMs() < 6000, "closed after " + a.tookMs() + " ms (idle timeout 1 s)");

    // A request the route takes 2 s to answer outlives the 1 s idle timeout.
    RawHttp.Answer slow = RawHttp.exchange(port, "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        Duration.ofSeconds(20));
    assertEquals(200, slow.status(), slow.text());
    assertTrue(slow.body().equals("late"), slow.text());
  }

  @Test
  void aConnectionOverThePerAddressCapIsRefusedAtOnceWith429() throws Exception {
    int port = serve(Duration.ofSeconds(5), Duration.ofSeconds(60), 100, 5);
    for (int i = 0; i < 5; i++) {
      open(port, "127.0.0.2");
    }
    Socket sixth = open(port, "127.0.0.2");
    RawHttp.Answer a = RawHttp.read(sixth, Duration.ofSeconds(10), System.nanoTime());
    assertTrue(a.closed(), a.text());
    assertTrue(a.tookMs() < 5000, "refused at once, not left waiting: " + a.tookMs() + " ms");
    assertJsonError(ApiError.TOO_MANY_CONNECTIONS_FROM_ADDRESS, a);
    // Another address is not affected.
    Socket other = open(port, "127.0.0.3");
    other.getOutputStream().write("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes());
    assertEquals(200, RawHttp.read(other, Duration.ofSeconds(10), System.nanoTime()).status());
    // A closed connection no longer counts.
    sockets.get(0).close();
    org.opentela.testing.Eventually.eventually("a slot to free up", Duration.ofSeconds(10), () -> {
      Socket again = open(port, "127.0.0.2");
      again.getOutputStream().write("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes());
      assertEquals(200, RawHttp.read(again, Duration.ofSeconds(5), System.nanoTime()).status());
    });
  }

  @Test
  void aConnectionOverTheTotalCapIsRefusedAtOnceWith503() throws Exception {
    int port = serve(Duration.ofSeconds(5), Duration.ofSeconds(60), 8, 0);
    for (int i = 0; i < 8; i++) {
      open(port, "127.0.0." + (2 + i % 3));
    }
    Socket ninth = open(port, "127.0.0.9");
    RawHttp.Answer a = RawHttp.read(ninth, Duration.ofSeconds(10), System.nanoTime());
    assertTrue(a.closed() && a.tookMs() < 5000, a.tookMs() + " ms: " + a.text());
    JsonNode e = assertJsonError(ApiError.TOO_MANY_CONNECTIONS, a);
    assertTrue(e.get("message").asText().contains("--http.max_connections"), e.toString());
  }

  @Test
  void requestsPekkosParserRejectsAreAnsweredWithCatalogueJson() throws Exception {
    int port = serve(Duration.ofSeconds(5), Duration.ofSeconds(60), 100, 100);
    String longUri = "/ok?" + "a".repeat(5000);
    assertJsonError(ApiError.URI_TOO_LONG, RawHttp.exchange(port, "GET " + longUri + " HTTP/1.1\r\nHost: x\r\n\r\n",
        Duration.ofSeconds(30)));
    assertJsonError(ApiError.HEADERS_TOO_LARGE, RawHttp.exchange(port, "GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: "
        + "b".repeat(20_000) + "\r\n\r\n", Duration.ofSeconds(30)));
    assertJsonError(ApiError.INVALID_REQUEST, RawHttp.exchange(port,
        "POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", Duration.ofSeconds(30)));
    assertJsonError(ApiError.NOT_IMPLEMENTED, RawHttp.exchange(port,
        "BREW /ok HTTP/1.1\r\nHost: x\r\n\r\n", Duration.ofSeconds(30)));
    assertJsonError(ApiError.INVALID_REQUEST, RawHttp.exchange(port,
        "POST /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", Duration.ofSeconds(30)));
    assertJsonError(ApiError.HTTP_VERSION_NOT_SUPPORTED, RawHttp.exchange(port, "GET /ok HTTP/2.0\r\nHost: x\r\n\r\n",
        Duration.ofSeconds(30)));
    // After all that, the server still answers.
    assertEquals(200, RawHttp.exchange(port, "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        Duration.ofSeconds(30)).status());
  }
}
