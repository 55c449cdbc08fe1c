package org.opentela.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.Json;

/**
 * {@code otela status} against a head with API keys on: the pool's status is the admin's, so the command
 * sends the admin key when it has one (OTELA_ADMIN_KEY or --admin_key_file) and, without one, says how to
 * give it instead of printing the bare 403. A small real HTTP server stands in for the head.
 */
class StatusCommandTest {
  static final String ADMIN = "otela-admin-0123456789abcdef";

  HttpServer head;
  final List<String> seen = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    byte[] pool = Json.MAPPER.writeValueAsBytes(StatusTablesTest.pool());
    head = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    head.createContext("/v1/dnt/pool", ex -> {
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      seen.add(String.valueOf(auth));
      byte[] body = ("Bearer " + ADMIN).equals(auth) ? pool
          : "{\"error\":{\"code\":\"admin_key_required\"}}".getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(body == pool ? 200 : 403, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    head.start();
  }

  @AfterEach
  void stop() {
    head.stop(0);
  }

  String url() {
    return "http://127.0.0.1:" + head.getAddress().getPort();
  }

  StatusCommand command(Map<String, String> flags, Map<String, String> env, ByteArrayOutputStream out,
      ByteArrayOutputStream err) {
    var config = ConfigFactory.parseMap(flags).withFallback(ConfigFactory.parseMap(Map.of("otela.status.head", url())))
        .withFallback(ConfigFactory.defaultReference()).resolve();
    return new StatusCommand(StatusCommand.Settings.fromConfig(config, env), new PrintStream(out, true),
        new PrintStream(err, true));
  }

  @Test
  void withoutTheAdminKeyItSaysHowToGiveIt() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(1, command(Map.of(), Map.of(), out, err).run());
    String message = err.toString(StandardCharsets.UTF_8);
    assertTrue(message.contains("403") && message.contains("OTELA_ADMIN_KEY") && message.contains("--admin_key_file"),
        message);
    assertEquals(List.of("null"), seen, "no Authorization header without a key");
  }

  @Test
  void sendsTheAdminKeyFromTheEnvironment() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(0, command(Map.of(), Map.of("OTELA_ADMIN_KEY", ADMIN + "\n"), out, err).run(), err.toString());
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("Qwen/Qwen3-8B"), out.toString());
    assertEquals(List.of("Bearer " + ADMIN), seen);
  }

  @Test
  void sendsTheAdminKeyFromAFileBeforeTheEnvironment(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("admin.key"), ADMIN + "\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(0, command(Map.of("otela.status.admin_key_file", file.toString()),
        Map.of("OTELA_ADMIN_KEY", "wrong"), out, err).run(), err.toString());
    assertEquals(List.of("Bearer " + ADMIN), seen);
  }

  @Test
  void aWrongKeyGetsTheHeadsAnswer() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(1, command(Map.of(), Map.of("OTELA_ADMIN_KEY", "wrong"), new ByteArrayOutputStream(), err).run());
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("admin_key_required"), err.toString());
  }

  @Test
  void anUnreadableKeyFileIsAUsageError() {
    assertThrows(org.opentela.config.UsageException.class, () -> command(
        Map.of("otela.status.admin_key_file", "/nonexistent/admin.key"), Map.of(), new ByteArrayOutputStream(),
        new ByteArrayOutputStream()));
  }
}
