package org.opentela.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.opentela.Json;

/**
 * A small, real OpenAI-style HTTP backend for routing tests (JDK HttpServer, one thread per request):
 * {@code /v1/models}, {@code /v1/chat/completions} (whole or SSE with a delay between chunks), and
 * {@code /echo} which answers with what it received. It records every request and counts streams the
 * client abandoned (a write to a closed connection fails).
 */
public final class FakeOpenAi implements AutoCloseable {
  /** What the backend saw of one request. */
  public record Seen(String method, String path, String query, Map<String, List<String>> headers, byte[] body) {}

  public final String name;
  public final int port;
  public final List<Seen> requests = new CopyOnWriteArrayList<>();
  public final AtomicInteger streamsAbandoned = new AtomicInteger();
  public final AtomicInteger streamsCompleted = new AtomicInteger();
  private final HttpServer server;
  private final List<String> models;
  private volatile int chunks = 5;
  private volatile long chunkDelayMs = 20;
  private volatile int forcedStatus;
  private final Map<String, String> extra = new ConcurrentHashMap<>();

  private FakeOpenAi(String name, List<String> models) throws IOException {
    this.name = name;
    this.models = models;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
    this.server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fake-openai-" + name);
      t.setDaemon(true);
      return t;
    }));
    this.server.createContext("/", this::handle);
    this.server.start();
    this.port = server.getAddress().getPort();
  }

  public static FakeOpenAi start(String name, String... models) throws IOException {
    return new FakeOpenAi(name, List.of(models));
  }

  /** Streams send {@code n} content chunks, {@code delayMs} apart. */
  public FakeOpenAi streaming(int n, long delayMs) {
    this.chunks = n;
    this.chunkDelayMs = delayMs;
    return this;
  }

  /** Every request is answered with this status (0 = normal). */
  public FakeOpenAi failWith(int status) {
    this.forcedStatus = status;
    return this;
  }

  /** A response header added to every answer. */
  public FakeOpenAi header(String name, String value) {
    extra.put(name, value);
    return this;
  }

  private void handle(HttpExchange ex) throws IOException {
    byte[] body = ex.getRequestBody().readAllBytes();
    requests.add(new Seen(ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRequestURI().getRawQuery(),
        Map.copyOf(ex.getRequestHeaders()), body));
    extra.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    ex.getResponseHeaders().add("X-Backend", name);
    String path = ex.getRequestURI().getPath();
    try {
      if (forcedStatus != 0) {
        send(ex, forcedStatus, "application/json", "{\"error\":{\"message\":\"forced\",\"type\":\"test\",\"code\":"
            + forcedStatus + "}}");
      } else if (path.equals("/v1/models")) {
        StringBuilder sb = new StringBuilder("{\"object\":\"list\",\"data\":[");
        for (int i = 0; i < models.size(); i++) {
          sb.append(i == 0 ? "" : ",").append("{\"id\":\"").append(models.get(i)).append("\",\"object\":\"model\"}");
        }
        send(ex, 200, "application/json", sb.append("]}").toString());
      } else if (path.equals("/slow")) {
        sleep(Long.parseLong(ex.getRequestHeaders().getFirst("X-Fake-Delay")));
        send(ex, 200, "application/json", "{\"slow\":true}");
      } else if (path.equals("/echo")) {
        ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
        ex.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(body);
        }
      } else if (path.endsWith("/chat/completions") || path.endsWith("/completions")) {
        JsonNode req;
        try {
          req = body.length == 0 ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(body);
        } catch (IOException badJson) { // as vLLM: the client's error
          send(ex, 400, "application/json", "{\"error\":{\"message\":\"bad json\",\"type\":\"test\",\"code\":400}}");
          return;
        }
        String model = req.path("model").asText("");
        if (req.path("stream").asBoolean(false)) {
          String n = ex.getRequestHeaders().getFirst("X-Fake-Chunks");
          String d = ex.getRequestHeaders().getFirst("X-Fake-Delay");
          stream(ex, model, n == null ? chunks : Integer.parseInt(n), d == null ? chunkDelayMs : Long.parseLong(d),
              req.path("stream_options").path("include_usage").asBoolean(false));
        } else {
          send(ex, 200, "application/json", "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
              + "\"model\":\"" + model + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
              + "hello from " + name + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,"
              + "\"completion_tokens\":3,\"total_tokens\":4}}");
        }
      } else {
        send(ex, 404, "application/json", "{\"error\":{\"message\":\"no such path\",\"type\":\"test\",\"code\":404}}");
      }
    } finally {
      ex.close();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * An SSE answer of {@code chunks} content chunks; with {@code usage} (the request's
   * {@code stream_options.include_usage}) as vLLM sends it: {@code "usage":null} in each chunk, then a
   * last chunk with no choices and the usage (2 prompt tokens, one completion token per chunk).
   */
  private void stream(HttpExchange ex, String model, int chunks, long chunkDelayMs, boolean usage)
      throws IOException {
    ex.getResponseHeaders().add("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    OutputStream out = ex.getResponseBody();
    try {
      for (int i = 0; i < chunks; i++) {
        String event = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"" + model
            + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"t" + i + " \"},\"finish_reason\":null}],"
            + "\"sent_at_ms\":" + System.currentTimeMillis() + (usage ? ",\"usage\":null" : "") + "}\n\n";
        out.write(event.getBytes(StandardCharsets.UTF_8));
        out.flush();
        Thread.sleep(chunkDelayMs);
      }
      if (usage) {
        out.write(("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"" + model
            + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":" + chunks
            + ",\"total_tokens\":" + (chunks + 2) + "}}\n\n").getBytes(StandardCharsets.UTF_8));
      }
      out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      streamsCompleted.incrementAndGet();
    } catch (IOException e) {
      streamsAbandoned.incrementAndGet();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void send(HttpExchange ex, int status, String ct, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", ct);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
