package org.opentela.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.opentela.Json;

/** Plain HTTP to a sim for tests: JSON requests, SSE parsing, raw sockets a test can close mid-stream. */
final class SimHttp {
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private final int port;

  SimHttp(int port) {
    this.port = port;
  }

  HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  HttpResponse<String> post(String path, String body) {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return CLIENT.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("request to the sim failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The body of a 200 JSON answer, parsed. */
  static JsonNode json(HttpResponse<String> response) {
    assertEquals(200, response.statusCode(), response.body());
    assertEquals("application/json", response.headers().firstValue("content-type").orElse(""));
    return parse(response.body());
  }

  static JsonNode parse(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + json, e);
    }
  }

  /**
   * The data of each server-sent event, in order, checking the framing: every event is one
   * {@code data: } line followed by a blank line, and the stream ends right after {@code data: [DONE]}.
   */
  static List<String> sseData(String body) {
    List<String> data = new ArrayList<>();
    for (String event : body.split("\n\n", -1)) {
      if (event.isEmpty()) {
        continue;
      }
      assertTrue(event.startsWith("data: ") && !event.contains("\n"), "not a single data line: " + event);
      data.add(event.substring("data: ".length()));
    }
    assertTrue(body.endsWith("data: [DONE]\n\n"), "stream must end with [DONE]: " + body);
    assertEquals(1, data.stream().filter("[DONE]"::equals).count());
    return data;
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** Opens a raw connection and sends a streaming chat request on it; the test closes it when it likes. */
  Socket openChatStream(String model) throws IOException {
    return openChat(model, true);
  }

  /** Opens a raw connection and sends a chat request on it; the test closes it when it likes. */
  Socket openChat(String model, boolean stream) throws IOException {
    String body = "{\"model\":\"" + model + "\",\"stream\":" + stream
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(10_000);
    OutputStream out = socket.getOutputStream();
    out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(bytes);
    out.flush();
    return socket;
  }

  /** Reads from {@code socket} until what arrived contains {@code marker}; returns all of it. */
  static String readUntil(Socket socket, String marker) throws IOException {
    InputStream in = socket.getInputStream();
    StringBuilder sb = new StringBuilder();
    byte[] buf = new byte[4096];
    while (sb.indexOf(marker) < 0) {
      int n = in.read(buf);
      if (n < 0) {
        throw new AssertionError("connection closed before '" + marker + "' arrived: " + sb);
      }
      sb.append(new String(buf, 0, n, StandardCharsets.UTF_8));
    }
    return sb.toString();
  }
}
