package org.opentela.subprocess;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tiny stand-in for vLLM, run as a real process: {@code FakeBackend <port> <model,...> <control dir>}.
 * Files in the control dir steer it while it runs: {@code unhealthy} (GET /health answers 503),
 * {@code no-health} (GET /health answers 404), {@code models} (comma-separated ids replacing the
 * argument), {@code metrics} (served as /metrics; 404 without it), {@code crash} (holds an exit code:
 * the backend deletes the file and exits with that code). Once listening it writes {@code ready-at}
 * (unix millis) there.
 */
public final class FakeBackend {
  private FakeBackend() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String models = args[1];
    Path dir = Path.of(args[2]);
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
    server.createContext("/health", ex -> {
      if (Files.exists(dir.resolve("no-health"))) {
        send(ex, 404, "not found");
      } else {
        send(ex, Files.exists(dir.resolve("unhealthy")) ? 503 : 200, "ok");
      }
    });
    server.createContext("/v1/models", ex -> {
      Path file = dir.resolve("models");
      String ids = Files.exists(file) ? Files.readString(file).strip() : models;
      List<String> data = new ArrayList<>();
      for (String id : ids.split(",")) {
        data.add("{\"id\":\"" + id + "\",\"object\":\"model\",\"owned_by\":\"fake\"}");
      }
      send(ex, 200, "{\"object\":\"list\",\"data\":[" + String.join(",", data) + "]}");
    });
    server.createContext("/metrics", ex -> {
      Path file = dir.resolve("metrics");
      if (Files.exists(file)) {
        send(ex, 200, Files.readString(file));
      } else {
        send(ex, 404, "not found");
      }
    });
    server.start();
    Files.writeString(dir.resolve("ready-at"), Long.toString(System.currentTimeMillis()));
    System.out.println("FakeBackend listening on " + port + " serving " + models);
    Path crash = dir.resolve("crash");
    while (true) {
      if (Files.exists(crash)) {
        int code = Integer.parseInt(Files.readString(crash).strip());
        Files.delete(crash);
        System.out.println("FakeBackend exiting with code " + code);
        Runtime.getRuntime().halt(code);
      }
      Thread.sleep(50);
    }
  }

  private static void send(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }
}
