package org.opentela.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentela.Json;
import org.opentela.testing.Http;
import org.opentela.testing.JarProcess;
import org.opentela.testing.Ports;

/**
 * A pool with API keys on, as a user runs it: a head given an admin key file, a worker running llm-sim,
 * keys made with {@code otela keys create} (the key alone on stdout), and the official OpenAI Java SDK
 * using them: a valid key works, a wrong or revoked one is the SDK's 401, a key over its limit the SDK's
 * 429 with OpenAI's rate-limit headers, and the usage otela records equals what the backend reported.
 */
class ApiKeysE2ETest {
  static final String MODEL = "Qwen/Qwen3-8B";
  static final String ADMIN = "e2e-admin-key-0123456789abcdef";
  static JarProcess head;
  static JarProcess worker;
  static int headHttp;
  static String base;

  @BeforeAll
  static void startPool() throws Exception {
    Path dir = Files.createTempDirectory("keys-e2e");
    Path keyFile = dir.resolve("admin.key");
    Files.writeString(keyFile, ADMIN + "\n");
    headHttp = Ports.free();
    int backendPort = Ports.free();
    head = JarProcess.start("head", "start", "--mode", "standalone", "--public-addr", "127.0.0.1",
        "--port", "" + headHttp, "--tcpport", "" + Ports.free(), "--management.port", "" + Ports.free(),
        "--datadir", dir.resolve("head").toString(), "--auth.admin_key_file", keyFile.toString());
    String bootstrap = head.awaitLine("Workers join with: --bootstrap.addr (\\S+)", Duration.ofSeconds(60));
    assertTrue(head.output().stream().anyMatch(l -> l.contains("API keys are on")), "the head says keys are on");
    // --public-addr: on loopback, whatever other interfaces come and go on this machine during the test.
    worker = JarProcess.start("worker", "start", "--bootstrap.addr", bootstrap, "--public-addr", "127.0.0.1",
        "--subprocess", JarProcess.javaBin() + " -Xmx128m -jar " + JarProcess.jar() + " llm-sim --port " + backendPort
            + " --model " + MODEL + " --ttft-ms 5 --itl-ms 2",
        "--service.name", "llm", "--service.port", "" + backendPort,
        "--port", "" + Ports.free(), "--tcpport", "" + Ports.free(), "--management.port", "" + Ports.free(),
        "--datadir", dir.resolve("worker").toString());
    worker.awaitLine("API keys are off", Duration.ofSeconds(60));
    base = "http://127.0.0.1:" + headHttp;
    eventually("the head to route to the worker", Duration.ofSeconds(120), () ->
        assertEquals(200, adminGet("/v1/service/llm/v1/models").statusCode()));
  }

  @AfterAll
  static void stopPool() throws Exception {
    if (worker != null) {
      worker.close();
    }
    if (head != null) {
      head.close();
    }
  }

  static HttpResponse<String> adminGet(String path) throws IOException, InterruptedException {
    return Http.client().send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** What {@code otela keys ...} printed: exit code, stdout, stderr (kept apart, as a script sees them). */
  record Cli(int exit, String out, String err) {}

  static Cli keys(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(JarProcess.javaBin(), "-Xmx128m", "-jar", JarProcess.jar().toString(),
        "keys"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--head", base));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("OTELA_ADMIN_KEY", ADMIN);
    Path out = Files.createTempFile("keys", ".out");
    Path err = Files.createTempFile("keys", ".err");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "otela keys did not exit");
    return new Cli(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  static OpenAIClient sdk(String key) {
    return OpenAIOkHttpClient.builder().baseUrl(base + "/v1/service/llm/v1").apiKey(key).maxRetries(0)
        .timeout(Duration.ofSeconds(30)).build();
  }

  static ChatCompletionCreateParams.Builder hello() {
    return ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("Hello, world!");
  }

  @Test
  void aKeyFromTheCliWorksWithTheSdkAndARevokedOrWrongKeyIsTheSdks401() throws Exception {
    Cli made = keys("create", "--name", "sdk-user", "--models", MODEL);
    assertEquals(0, made.exit(), made.err());
    String key = made.out().trim();
    assertTrue(made.out().matches("sk-otela-[a-z0-9]{8}-[A-Za-z0-9_-]{43}\n"), "the key alone on stdout: " + made.out());
    assertTrue(made.err().contains("sdk-user"), made.err());
    OpenAIClient client = sdk(key);
    try {
      ChatCompletion c = client.chat().completions().create(hello().build());
      assertFalse(c.choices().get(0).message().content().orElse("").isBlank());
      Cli list = keys("list");
      assertEquals(0, list.exit(), list.err());
      assertTrue(list.out().contains("sdk-user") && list.out().contains("active"), list.out());
      assertFalse(list.out().contains(key.substring(18)), "a listing never shows a secret");

      UnauthorizedException wrong = assertThrows(UnauthorizedException.class, () ->
          sdk(key.substring(0, key.length() - 4) + "AAAA").chat().completions().create(hello().build()));
      assertEquals("invalid_api_key", wrong.code().orElse(""));

      Cli revoked = keys("revoke", "sdk-user");
      assertEquals(0, revoked.exit(), revoked.err());
      UnauthorizedException gone = assertThrows(UnauthorizedException.class, () ->
          client.chat().completions().create(hello().build()));
      assertTrue(gone.getMessage().contains("revoked"), gone.getMessage());
    } finally {
      client.close();
    }
  }

  @Test
  void overItsLimitTheSdkGetsARateLimitExceptionWithOpenAisHeaders() throws Exception {
    Cli made = keys("create", "--name", "limited", "--rpm", "2", "--tpm", "100000");
    assertEquals(0, made.exit(), made.err());
    OpenAIClient client = sdk(made.out().trim());
    try {
      client.chat().completions().create(hello().build());
      client.chat().completions().create(hello().build());
      RateLimitException e = assertThrows(RateLimitException.class, () ->
          client.chat().completions().create(hello().build()));
      assertEquals(429, e.statusCode());
      assertEquals("rate_limit_exceeded", e.code().orElse(""));
      assertEquals(List.of("2"), e.headers().values("x-ratelimit-limit-requests"));
      assertEquals(List.of("0"), e.headers().values("x-ratelimit-remaining-requests"));
      assertEquals(List.of("100000"), e.headers().values("x-ratelimit-limit-tokens"));
      for (String h : List.of("x-ratelimit-reset-requests", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens",
          "retry-after")) {
        assertEquals(1, e.headers().values(h).size(), h);
      }
    } finally {
      client.close();
    }
  }

  @Test
  void usageAfterAStreamAndAWholeAnswerEqualsWhatTheBackendReported() throws Exception {
    Cli made = keys("create", "--name", "counted");
    assertEquals(0, made.exit(), made.err());
    OpenAIClient client = sdk(made.out().trim());
    long prompt = 0;
    long completion = 0;
    try {
      ChatCompletion whole = client.chat().completions().create(hello().build());
      CompletionUsage u = whole.usage().orElseThrow();
      prompt += u.promptTokens();
      completion += u.completionTokens();
      // A stream that asks for its usage gets it; one that does not gets none, and is counted all the same.
      CompletionUsage streamed = null;
      try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(hello()
          .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
        for (ChatCompletionChunk ch : (Iterable<ChatCompletionChunk>) s.stream()::iterator) {
          if (ch.usage().isPresent()) {
            streamed = ch.usage().get();
          }
        }
      }
      prompt += streamed.promptTokens();
      completion += streamed.completionTokens();
      try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(hello().build())) {
        List<ChatCompletionChunk> chunks = s.stream().toList();
        assertTrue(chunks.stream().allMatch(ch -> ch.usage().isEmpty() && !ch.choices().isEmpty()),
            "no usage chunk the client did not ask for");
      }
      prompt += streamed.promptTokens();
      completion += streamed.completionTokens();
    } finally {
      client.close();
    }
    long p = prompt;
    long c = completion;
    eventually("the usage of 'counted' to add up", Duration.ofSeconds(15), () -> {
      JsonNode usage = Json.MAPPER.readTree(adminGet("/v1/admin/usage?key=counted").body());
      long requests = 0;
      long up = 0;
      long uc = 0;
      for (JsonNode row : usage.path("data")) {
        requests += row.path("requests").asLong();
        up += row.path("prompt_tokens").asLong();
        uc += row.path("completion_tokens").asLong();
      }
      assertEquals(Map.of("requests", 3L, "prompt", p, "completion", c),
          Map.of("requests", requests, "prompt", up, "completion", uc), usage.toString());
    });
    String metrics = adminGet("/metrics").body();
    assertTrue(metrics.contains("otela_key_requests_total{key=\"counted\",model=\"" + MODEL + "\"} 3"), metrics);
  }

  @Test
  void withoutTheAdminKeyTheTableMetricsAndAdminApiAreClosedAndHealthStaysOpen() throws Exception {
    for (String path : List.of("/v1/dnt/table", "/metrics", "/v1/admin/keys", "/v1/admin/usage")) {
      HttpResponse<String> r = Http.get(base + path);
      assertEquals(401, r.statusCode(), path + ": " + r.body());
    }
    assertEquals(200, Http.get(base + "/v1/health").statusCode());
    ProcessBuilder pb = new ProcessBuilder(JarProcess.javaBin(), "-jar", JarProcess.jar().toString(), "keys", "list",
        "--head", base);
    pb.environment().remove("OTELA_ADMIN_KEY");
    Process proc = pb.redirectErrorStream(true).start();
    String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(proc.waitFor(60, TimeUnit.SECONDS));
    assertEquals(2, proc.exitValue(), out);
    assertTrue(out.contains("OTELA_ADMIN_KEY"), out);
  }
}
