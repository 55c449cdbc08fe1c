package org.opentela.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.opentela.Json;
import org.opentela.testing.FakeOpenAi;
import org.opentela.testing.Http;
import org.opentela.testing.JarProcess;
import org.opentela.testing.Ports;
import org.opentela.testing.RawHttp;

/**
 * The real jar as an attacker and a careless client use it: 10 000+ generated malformed requests (raw
 * socket framings included) get no 5xx caused by otela and leave no connection hanging, the node healthy,
 * its memory bounded and its log short and escaped; and 2 000 clients sending their headers a byte at a
 * time do not keep a normal chat from being answered at once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RequestHygieneE2ETest {
  private static final int FUZZ_REQUESTS = 10_500;
  /** A response or a close must come within this, whatever was sent: else the connection hung. */
  private static final Duration HANG = Duration.ofSeconds(40);
  /** 5xx codes a fuzzed request may legitimately get: Pekko's parser, or a well-formed model nobody serves. */
  private static final List<String> EXPECTED_5XX = List.of("not_implemented", "http_version_not_supported",
      "model_not_available", "loop_detected");

  static FakeOpenAi backend;
  static JarProcess node;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createTempDirectory("hygiene-e2e");
    backend = FakeOpenAi.start("b", "m");
    port = Ports.free();
    node = JarProcess.start("node", "start", "--mode", "standalone", "--public-addr", "127.0.0.1", "--seed", "40",
        "--port", "" + port, "--tcpport", "" + Ports.free(), "--management.port", "" + Ports.free(),
        "--datadir", dir.resolve("node").toString(), "--service.name", "llm", "--service.port", "" + backend.port);
    eventually("the node to route chats to its service", Duration.ofSeconds(120),
        () -> assertEquals(200, chat().statusCode()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  static HttpResponse<String> chat() throws Exception {
    return Http.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
            + "/v1/service/llm/v1/chat/completions")).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  static long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + node.process().pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    return -1;
  }

  // ---- the generator

  private static final String[] PATHS = {"/v1/service/llm/v1/chat/completions", "/v1/service/llm/v1/completions",
      "/v1/service/llm/v1/models", "/v1/service/llm/v1/models/m", "/v1/service/nope/v1/chat/completions",
      "/v1/service/bad!name/x", "/v1/_service/llm/v1/chat/completions", "/v1/p2p/QmNobody/v1/health",
      "/v1/dnt/table", "/v1/dnt/peers", "/v1/health", "/metrics", "/", "/v1/service/llm/../../etc/passwd",
      "/v1/service/%00/x", "/v1/service/llm/v1/chat/completions?x=%zz", "//v1//service"};
  private static final String[] METHODS = {"GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD",
      "BREW", "get", "CONNECT", "TRACE"};
  private static final String[] MODELS = {"\"m\"", "null", "7", "1e999999", "[\"m\"]", "{\"id\":\"m\"}", "true",
      "\"unknown\"", "\"\"", "\"" + "x".repeat(10_000) + "\"", "\"m\\u0000\\u001b[31m\"", "-0", "\"\\ud800\""};

  static String body(Random r) {
    switch (r.nextInt(12)) {
      case 0:
        return "";
      case 1:
        return "{";
      case 2:
        return "[1,2,3]";
      case 3:
        return "{\"model\":" + MODELS[r.nextInt(MODELS.length)] + ",\"messages\":" + "[".repeat(r.nextInt(3000))
            + "]".repeat(r.nextInt(3000)) + "}";
      case 4:
        return "\u0000\u0001\u001b[2J" + "garbage".repeat(r.nextInt(50));
      case 5:
        return "{\"model\":\"m\",\"stream\":" + (r.nextBoolean() ? "true" : "\"yes\"") + "}";
      case 6:
        return "{\"model\":\"m\"," + "\"k\":1,".repeat(r.nextInt(2000)) + "\"z\":0}";
      default:
        return "{\"model\":" + MODELS[r.nextInt(MODELS.length)] + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    }
  }

  static String header(Random r) {
    String[] h = {"X-Otela-Hops: " + (r.nextInt(400) - 200), "X-Otela-Hops: x", "X-Request-Id: ",
        "X-Request-Id: \u0001\u001b[31mred", "X-Request-Id: " + "i".repeat(300), "Origin: https://evil.example",
        "X-Otela-Fallback: " + r.nextInt(5), "X-Otela-Identity-Group: " + (r.nextBoolean() ? "model=m" : "=="),
        "Accept: text/html", "Authorization: Bearer x", "Content-Type: text/plain", "Content-Type: application/json;;",
        "Content-Type: \u0000", "Expect: 100-continue", "Connection: keep-alive, Upgrade", "Upgrade: h2c",
        "X-Otela-Hop-Token: guess", "Access-Control-Request-Headers: x-a"};
    return h[r.nextInt(h.length)];
  }

  /** One request's bytes, and whether the client half-closes after sending (a truncated request). */
  record Sent(byte[] bytes, boolean halfClose) {}

  static Sent request(Random r) {
    String method = METHODS[r.nextInt(METHODS.length)];
    String path = PATHS[r.nextInt(PATHS.length)];
    if (r.nextInt(10) == 0) {
      path = path + "?" + "q".repeat(r.nextInt(6000));
    }
    byte[] body = body(r).getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder();
    List<String> headers = new ArrayList<>();
    headers.add("Host: x");
    headers.add("Connection: close");
    for (int i = r.nextInt(4); i > 0; i--) {
      headers.add(header(r));
    }
    if (!headers.stream().anyMatch(h -> h.startsWith("Content-Type"))) {
      headers.add("Content-Type: application/json");
    }
    int framing = r.nextInt(20);
    boolean halfClose = false;
    String version = "HTTP/1.1";
    switch (framing) {
      case 0: // chunked body, sometimes with bad chunk sizes
        headers.add("Transfer-Encoding: chunked");
        String chunk = Integer.toHexString(body.length) + (r.nextBoolean() ? "" : "zz") + "\r\n";
        return new Sent(join(method + " " + path + " " + version + "\r\n" + String.join("\r\n", headers) + "\r\n\r\n"
            + chunk, body, "\r\n0\r\n\r\n"), r.nextBoolean());
      case 1: // a Content-Length larger than the body, then half-close
        headers.add("Content-Length: " + (body.length + 1 + r.nextInt(1000)));
        halfClose = true;
        break;
      case 2: // conflicting framing
        headers.add("Content-Length: " + body.length);
        headers.add("Content-Length: " + (body.length + 3));
        break;
      case 3:
        headers.add("Content-Length: -1");
        break;
      case 4:
        headers.add("Content-Length: 99999999999999999999");
        halfClose = true;
        break;
      case 5:
        version = r.nextBoolean() ? "HTTP/2.0" : (r.nextBoolean() ? "HTTP/0.9" : "FOO/1.1");
        headers.add("Content-Length: " + body.length);
        break;
      case 6: // bare LF line endings
        headers.add("Content-Length: " + body.length);
        return new Sent(join(method + " " + path + " " + version + "\n" + String.join("\n", headers) + "\n\n", body, ""),
            false);
      case 7: // a header line without a colon, or with NUL / control bytes
        headers.add(r.nextBoolean() ? "NoColonHere" : "X-Bad\u0000: \u001b[31m");
        headers.add("Content-Length: " + body.length);
        break;
      case 8: // random bytes
        byte[] junk = new byte[1 + r.nextInt(3000)];
        r.nextBytes(junk);
        return new Sent(junk, true);
      case 9: // a head cut short
        String cut = method + " " + path + " " + version + "\r\n" + String.join("\r\n", headers);
        return new Sent(cut.substring(0, r.nextInt(cut.length())).getBytes(StandardCharsets.ISO_8859_1), true);
      case 10: // a huge header
        headers.add("X-Big: " + "b".repeat(5000 + r.nextInt(20_000)));
        headers.add("Content-Length: " + body.length);
        break;
      case 11: // many headers
        for (int i = 0; i < 100 + r.nextInt(200); i++) {
          headers.add("X-H" + i + ": v");
        }
        headers.add("Content-Length: " + body.length);
        break;
      case 12: // two pipelined requests
        headers.add("Content-Length: " + body.length);
        String one = method + " " + path + " " + version + "\r\n" + String.join("\r\n", headers) + "\r\n\r\n";
        return new Sent(join(one, body, one.replace("Connection: close", "X-Pipelined: 1")), true);
      default:
        headers.add("Content-Length: " + body.length);
    }
    head.append(method).append(' ').append(path).append(' ').append(version).append("\r\n");
    headers.forEach(h -> head.append(h).append("\r\n"));
    head.append("\r\n");
    return new Sent(join(head.toString(), body, ""), halfClose);
  }

  static byte[] join(String head, byte[] body, String tail) {
    byte[] h = head.getBytes(StandardCharsets.UTF_8);
    byte[] t = tail.getBytes(StandardCharsets.UTF_8);
    byte[] all = new byte[h.length + body.length + t.length];
    System.arraycopy(h, 0, all, 0, h.length);
    System.arraycopy(body, 0, all, h.length, body.length);
    System.arraycopy(t, 0, all, h.length + body.length, t.length);
    return all;
  }

  /** "200", "400 invalid_model", ..., "closed" (no response), or "hung". */
  static String outcome(Sent s) {
    try (java.net.Socket socket = RawHttp.connect(port, null)) {
      long start = System.nanoTime();
      try {
        socket.getOutputStream().write(s.bytes());
        socket.getOutputStream().flush();
        if (s.halfClose()) {
          socket.shutdownOutput();
        }
      } catch (IOException e) {
        // the server answered and closed before reading it all: read what it said
      }
      RawHttp.Answer a = RawHttp.read(socket, HANG, start);
      if (!a.closed()) {
        return a.status() > 0 ? a.status() + " hung-after-response" : "hung";
      }
      if (a.status() < 0) {
        return "closed";
      }
      String code = "";
      int at = a.body().indexOf("\"code\":\"");
      if (at >= 0) {
        code = " " + a.body().substring(at + 8, a.body().indexOf('"', at + 8));
      }
      return a.status() + code;
    } catch (IOException e) {
      return "connect-failed " + e.getClass().getSimpleName();
    }
  }

  @Test
  @Order(1)
  void tenThousandMalformedRequestsGetNo5xxFromOtelaAndHangNoConnection() throws Exception {
    long rssBefore = rssKb();
    int warnBefore = (int) node.output().stream().filter(l -> l.contains(" WARN ")).count();
    Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < 16; t++) {
      int seed = t;
      done.add(pool.submit(() -> {
        Random r = new Random(1000 + seed);
        for (int i = seed; i < FUZZ_REQUESTS; i += 16) {
          counts.computeIfAbsent(outcome(request(r)), k -> new AtomicInteger()).incrementAndGet();
        }
        return null;
      }));
    }
    for (Future<?> f : done) {
      f.get(30, TimeUnit.MINUTES);
    }
    pool.shutdown();
    Map<String, Integer> sorted = new TreeMap<>();
    counts.forEach((k, v) -> sorted.put(k, v.get()));
    System.out.println("fuzz: " + FUZZ_REQUESTS + " requests, outcomes by status and code: " + sorted);
    assertEquals(FUZZ_REQUESTS, sorted.values().stream().mapToInt(Integer::intValue).sum());
    List<String> bad = new ArrayList<>();
    sorted.forEach((k, v) -> {
      if (k.contains("hung") || k.startsWith("connect-failed")) {
        bad.add(k + " x" + v);
      } else if (k.matches("5\\d\\d.*") && EXPECTED_5XX.stream().noneMatch(k::endsWith)) {
        bad.add(k + " x" + v);
      }
    });
    assertTrue(bad.isEmpty(), "outcomes otela must not produce: " + bad + " (all: " + sorted + ")");

    assertEquals(200, Http.get("http://127.0.0.1:" + port + "/v1/health").statusCode(), "the node is healthy");
    assertEquals(200, chat().statusCode(), "and routes");
    long rssAfter = rssKb();
    System.out.println("fuzz: node RSS " + rssBefore / 1024 + " MiB before, " + rssAfter / 1024 + " MiB after");
    assertTrue(rssAfter < 768 * 1024, "RSS after the fuzz: " + rssAfter / 1024 + " MiB (-Xmx256m)");

    List<String> warnings = node.output().stream().filter(l -> l.contains(" WARN ")).toList();
    int newWarnings = warnings.size() - warnBefore;
    System.out.println("fuzz: " + newWarnings + " WARN lines logged");
    assertTrue(newWarnings < 200, newWarnings + " WARN lines for " + FUZZ_REQUESTS + " bad requests");
    for (String line : node.output()) {
      assertFalse(line.chars().anyMatch(c -> c < 0x20 && c != '\t'), "a raw control character in the log: " + line);
    }
  }

  @Test
  @Order(2)
  void twoThousandSlowClientsDoNotDelayANormalChat() throws Exception {
    List<SocketChannel> slow = new ArrayList<>();
    try {
      // From two addresses, 1 000 each: under the per-address cap, so every one is admitted and held.
      for (int i = 0; i < 2000; i++) {
        SocketChannel c = SocketChannel.open();
        c.bind(new InetSocketAddress(InetAddress.getByName(i % 2 == 0 ? "127.0.0.2" : "127.0.0.3"), 0));
        c.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        c.write(ByteBuffer.wrap("P".getBytes(StandardCharsets.US_ASCII)));
        slow.add(c);
      }
      // One more byte each, as slowloris does, then the normal client.
      for (SocketChannel c : slow) {
        c.write(ByteBuffer.wrap("O".getBytes(StandardCharsets.US_ASCII)));
      }
      long start = System.nanoTime();
      HttpResponse<String> r = chat();
      long ms = (System.nanoTime() - start) / 1_000_000;
      System.out.println("slow clients: a chat with 2000 slow clients open took " + ms + " ms");
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(ms < 1000, "the chat took " + ms + " ms with 2000 slow clients open");
      JsonNode answer = Json.MAPPER.readTree(r.body());
      assertTrue(answer.has("choices"), r.body());

      // The header timeout (5 s) cuts them all off.
      eventually("the slow clients to be cut off", Duration.ofSeconds(60), () -> {
        int open = 0;
        ByteBuffer b = ByteBuffer.allocate(4096);
        for (SocketChannel c : slow) {
          c.configureBlocking(false);
          int n;
          do {
            b.clear();
            n = c.read(b);
          } while (n > 0);
          if (n == 0) {
            open++;
          }
        }
        assertEquals(0, open, "slow clients still connected");
      });
    } finally {
      for (SocketChannel c : slow) {
        c.close();
      }
    }
  }
}
