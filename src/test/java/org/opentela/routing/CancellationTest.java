package org.opentela.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentela.testing.InJvmNode;
import org.opentela.testing.SilentBackend;

/**
 * A request whose client gives up before the first byte frees its backend: the backend, which has not
 * answered, sees its connection closed at once, through head → worker, for a streaming and a non-streaming
 * request, through a /v1/p2p/ hop, and when the entry node's first-byte timeout answers 504. And a client
 * cannot make a /v1/p2p/ path bounce longer by sending its own hop count.
 */
class CancellationTest {
  /** The bound: the backend sees its connection closed within 1 s of the client leaving. */
  private static final long BOUND_MS = 1000;

  static InJvmNode head;
  static InJvmNode worker;
  static InJvmNode impatient;
  static SilentBackend backend;

  @BeforeAll
  static void startCluster() throws Exception {
    Path dir = Files.createTempDirectory("cancellation-test");
    backend = new SilentBackend();
    head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "30");
    worker = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "31");
    // An entry node with a short first-byte timeout, and no service of its own.
    impatient = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "32",
        "--routing.first_byte_timeout", "2s");
    worker.publish("llm", backend.port, "model=silent");
    eventually("the worker's service on every node", Duration.ofSeconds(30), () -> {
      for (InJvmNode n : List.of(head, worker, impatient)) {
        n.assertSeesConnected(head.peerId(), worker.peerId(), impatient.peerId());
        assertEquals(1, n.table().get("/" + worker.peerId()).get("service").size(), () -> n.peerId() + " sees it");
      }
    });
  }

  @AfterAll
  static void stopCluster() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {impatient, worker, head, backend}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** Sends a chat request on a raw connection and returns the socket, still open. */
  private static Socket send(InJvmNode node, String path, String body) throws Exception {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), node.httpPort);
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    OutputStream out = s.getOutputStream();
    out.write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + b.length
        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(b);
    out.flush();
    return s;
  }

  /** The backend's connection for the request whose first line contains {@code marker}, once it is closed. */
  private static SilentBackend.Closed closedFor(String marker, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      SilentBackend.Closed c = backend.closed.poll(50, TimeUnit.MILLISECONDS);
      if (c != null && c.firstLine().contains(marker)) {
        return c;
      }
    }
    return null;
  }

  private static void awaitArrival(String marker) {
    eventually("the request to reach the backend", Duration.ofSeconds(20),
        () -> assertTrue(backend.arrived.stream().anyMatch(l -> l.contains(marker)), () -> "arrived: " + backend.arrived));
  }

  /** The client gives up 1 s after sending; returns how long after that the backend saw its connection close. */
  private static long disconnectAfterOneSecond(InJvmNode entry, String path, String body, String marker)
      throws Exception {
    Socket client = send(entry, path, body);
    awaitArrival(marker);
    Thread.sleep(1000);
    long gaveUp = System.nanoTime();
    client.close();
    SilentBackend.Closed c = closedFor(marker, Duration.ofSeconds(30));
    assertNotNull(c, "the backend's connection for " + marker + " was never closed");
    return (c.closedNanos() - gaveUp) / 1_000_000;
  }

  @Test
  void aClientThatLeavesBeforeTheFirstByteClosesTheBackendConnection() throws Exception {
    long ms = disconnectAfterOneSecond(head, "/v1/service/llm/v1/chat/completions?case=plain",
        "{\"model\":\"silent\",\"messages\":[]}", "case=plain");
    System.out.println("non-streaming: the backend saw its connection close " + ms + " ms after the client left");
    assertTrue(ms < BOUND_MS, "closed " + ms + " ms after the client left");
  }

  @Test
  void aStreamingClientThatLeavesBeforeTheFirstByteClosesTheBackendConnection() throws Exception {
    long ms = disconnectAfterOneSecond(head, "/v1/service/llm/v1/chat/completions?case=stream",
        "{\"model\":\"silent\",\"stream\":true,\"messages\":[]}", "case=stream");
    System.out.println("streaming: the backend saw its connection close " + ms + " ms after the client left");
    assertTrue(ms < BOUND_MS, "closed " + ms + " ms after the client left");
  }

  @Test
  void theCancellationFollowsEveryHopOfAP2pPath() throws Exception {
    // head → the worker's own API (through the cluster and its loopback) → the worker's router → its backend.
    long ms = disconnectAfterOneSecond(head, "/v1/p2p/" + worker.peerId()
        + "/v1/service/llm/v1/chat/completions?case=p2p", "{\"model\":\"silent\",\"stream\":true}", "case=p2p");
    System.out.println("through /v1/p2p/: the backend saw its connection close " + ms + " ms after the client left");
    assertTrue(ms < BOUND_MS, "closed " + ms + " ms after the client left");
  }

  @Test
  void aClientsNegativeHopCountDoesNotExtendALoop() throws Exception {
    // A path that bounces between two nodes: with the client's count believed (-100), all six hops ran.
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      path.append("/v1/p2p/").append(i % 2 == 0 ? worker.peerId() : impatient.peerId());
    }
    path.append("/v1/health");
    java.net.http.HttpResponse<String> r = org.opentela.testing.Http.client().send(java.net.http.HttpRequest
            .newBuilder(java.net.URI.create(head.url(path.toString()))).timeout(Duration.ofSeconds(60))
            .header("X-Otela-Hops", "-100").GET().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    String message = org.opentela.testing.ApiErrorAssert.assertApiError(org.opentela.ApiError.LOOP_DETECTED, r)
        .get("message").asText();
    assertTrue(message.contains(" 3 times"), "stopped at the third hop: " + message);
  }

  @Test
  void theEntryNodesFirstByteTimeoutClosesTheBackendConnection() throws Exception {
    for (String kind : List.of("plain", "stream")) {
      String marker = "case=timeout-" + kind;
      try (Socket client = send(impatient, "/v1/service/llm/v1/chat/completions?" + marker,
          "{\"model\":\"silent\"" + (kind.equals("stream") ? ",\"stream\":true" : "") + "}")) {
        client.setSoTimeout(30_000);
        InputStream in = client.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).contains("\r\n\r\n")) {
          int b = in.read();
          assertTrue(b >= 0, "the connection closed before the response");
          head.write(b);
        }
        long answered = System.nanoTime();
        assertTrue(head.toString(StandardCharsets.US_ASCII).startsWith("HTTP/1.1 504"), head.toString());
        // The client stays connected: the entry node itself gave up, and its worker must stop too.
        SilentBackend.Closed c = closedFor(marker, Duration.ofSeconds(30));
        assertNotNull(c, "the backend's connection was never closed");
        long ms = (c.closedNanos() - answered) / 1_000_000;
        System.out.println("first-byte timeout (" + kind + "): the backend saw its connection close " + ms
            + " ms after the 504");
        assertTrue(ms < BOUND_MS, "closed " + ms + " ms after the 504");
      }
    }
  }
}
