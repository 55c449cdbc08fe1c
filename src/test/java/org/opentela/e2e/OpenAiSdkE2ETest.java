package org.opentela.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentela.Json;
import org.opentela.testing.Http;
import org.opentela.testing.JarProcess;
import org.opentela.testing.Ports;

/**
 * The tutorial with llm-sim in place of vLLM, as separate jar processes: a head, and a worker running
 * llm-sim as its --subprocess. The official OpenAI Java SDK and plain HTTP talk to the head.
 */
class OpenAiSdkE2ETest {
  static final String MODEL = "Qwen/Qwen3-8B";
  static JarProcess head;
  static JarProcess worker;
  static int headHttp;
  static int backendPort;
  static String workerId;
  static OpenAIClient client;

  @BeforeAll
  static void startPool() throws Exception {
    Path dir = Files.createTempDirectory("sdk-e2e");
    headHttp = Ports.free();
    int headTcp = Ports.free();
    backendPort = Ports.free();
    head = JarProcess.start("head", "start", "--mode", "standalone", "--public-addr", "127.0.0.1", "--seed", "0",
        "--port", "" + headHttp, "--tcpport", "" + headTcp, "--management.port", "" + Ports.free(),
        "--datadir", dir.resolve("head").toString());
    String bootstrap = head.awaitLine("Workers join with: --bootstrap.addr (\\S+)", Duration.ofSeconds(60));
    // Step 2 of the tutorial, llm-sim in place of "vllm serve Qwen/Qwen3-8B --max_model_len 16384 --port 8080".
    worker = JarProcess.start("worker", "start", "--bootstrap.addr", bootstrap,
        "--subprocess", JarProcess.javaBin() + " -Xmx128m -jar " + JarProcess.jar() + " llm-sim --port " + backendPort
            + " --model " + MODEL + " --ttft-ms 5 --itl-ms 2",
        "--service.name", "llm", "--service.port", "" + backendPort, "--seed", "1",
        "--port", "" + Ports.free(), "--tcpport", "" + Ports.free(), "--management.port", "" + Ports.free(),
        "--datadir", dir.resolve("worker").toString());
    workerId = worker.awaitLine("Peer ID: (Qm\\w+)", Duration.ofSeconds(60));
    eventually("the head's table to show the worker's llm service", Duration.ofSeconds(120), () -> {
      JsonNode row = table().path("/" + workerId);
      assertTrue(row.path("connected").asBoolean() && row.path("service").size() == 1
          && "connected".equals(row.path("service").get(0).path("status").asText()), () -> "the worker's row: " + row);
    });
    client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + headHttp + "/v1/service/llm/v1")
        .apiKey("test-token").maxRetries(0).timeout(Duration.ofSeconds(30)).build();
  }

  @AfterAll
  static void stopPool() throws Exception {
    if (client != null) {
      client.close();
    }
    if (worker != null) {
      worker.close();
    }
    if (head != null) {
      head.close();
    }
  }

  static JsonNode table() {
    JsonNode t = Http.getJsonOrNull("http://127.0.0.1:" + headHttp + "/v1/dnt/table");
    return t == null ? Json.MAPPER.createObjectNode() : t;
  }

  @Test
  void theHeadShowsTheServiceAsInTheTutorial() {
    JsonNode service = table().get("/" + workerId).get("service").get(0);
    assertEquals("llm", service.get("name").asText());
    assertEquals("connected", service.get("status").asText());
    assertEquals("localhost", service.get("host").asText());
    assertEquals(Integer.toString(backendPort), service.get("port").asText());
    assertEquals(List.of("model=" + MODEL), List.of(service.get("identity_group").get(0).asText()));
    assertEquals(1, service.get("identity_group").size());
    assertTrue(service.get("hardware").get("gpus").isNull());
  }

  @Test
  void chatCompletion() {
    ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder()
        .model(MODEL).addUserMessage("Hello, world!").build());
    c.validate();
    assertEquals(MODEL, c.model());
    assertFalse(c.choices().get(0).message().content().orElse("").isBlank());
    assertTrue(c.usage().orElseThrow().totalTokens() > 0);
  }

  @Test
  void streamingChatCompletion() {
    List<ChatCompletionChunk> chunks;
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
        ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("Hello").build())) {
      chunks = stream.stream().toList();
    }
    StringBuilder text = new StringBuilder();
    chunks.forEach(ch -> {
      ch.validate();
      ch.choices().forEach(choice -> choice.delta().content().ifPresent(text::append));
    });
    assertTrue(chunks.size() >= 3, "a role chunk, content chunks, a finish chunk: " + chunks.size());
    assertFalse(text.toString().isBlank());
    assertTrue(chunks.get(chunks.size() - 1).choices().get(0).finishReason().isPresent());
  }

  @Test
  void textCompletion() {
    Completion c = client.completions().create(CompletionCreateParams.builder().model(MODEL)
        .prompt("Once upon a time").maxTokens(4).build());
    c.validate();
    assertFalse(c.choices().get(0).text().isBlank());
  }

  @Test
  void modelsList() {
    List<String> ids = new ArrayList<>();
    client.models().list().autoPager().forEach(m -> {
      m.validate();
      ids.add(m.id());
    });
    assertEquals(List.of(MODEL), ids);
    Model one = client.models().retrieve(MODEL);
    assertEquals(MODEL, one.id());
  }

  @Test
  void anUnknownModelIsAnOpenAiError() throws Exception {
    // 404 model_not_found, as OpenAI and vLLM answer: an SDK with its default retries (2) sends it once.
    // It was a 503, which SDKs retry: 6 x 503 for 2 calls (issue 13, item 4).
    OpenAIClient retrying = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + headHttp + "/v1/service/llm/v1")
        .apiKey("test-token").timeout(Duration.ofSeconds(30)).build();
    long before = notFoundCount();
    OpenAIServiceException e = org.junit.jupiter.api.Assertions.assertThrows(OpenAIServiceException.class, () ->
        retrying.chat().completions().create(ChatCompletionCreateParams.builder()
            .model("gpt-nonexistent").addUserMessage("hi").build()));
    assertEquals(404, e.statusCode());
    assertTrue(e.getMessage().contains(MODEL), e.getMessage());
    assertTrue(e.getMessage().contains("X-Otela-Fallback: 2"), e.getMessage());
    assertEquals(before + 1, notFoundCount(), "one request, no retry");
  }

  /** The head's count of 404 answers for the llm service. */
  private static long notFoundCount() throws Exception {
    String metrics = Http.client().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + headHttp + "/metrics"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    // Parsed, not matched: the Prometheus client orders labels by name and writes counts as floats.
    return (long) org.opentela.testing.MetricsText.parse(metrics).find("otela_requests_total", "service", "llm",
        "code", "404").map(org.opentela.testing.MetricsText.Sample::value).orElse(0.0).doubleValue();
  }

  @Test
  void theHeadExportsPrometheusMetricsOfWhatItRouted() throws Exception {
    client.chat().completions().create(ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("hi").build());
    HttpResponse<String> r = Http.client().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + headHttp + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
    org.opentela.testing.MetricsText t = org.opentela.testing.MetricsText.parse(r.body());
    assertTrue(t.value("otela_requests_total", "service", "llm", "code", "200") >= 1, r.body());
    assertEquals(1, t.value("otela_model_providers", "service", "llm", "model", MODEL), r.body());
    assertEquals(2, t.value("otela_nodes", "connected", "true"), r.body());
  }

  @Test
  void theTutorialsRequestsSnippetAndPinnedRouting() throws Exception {
    String json = "{\"model\": \"Qwen/Qwen3-8B\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello, world!\"}]}";
    for (String path : List.of("/v1/service/llm/v1/chat/completions",
        "/v1/p2p/" + workerId + "/v1/_service/llm/v1/chat/completions")) {
      HttpResponse<String> r = Http.client().send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + headHttp + path)).timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer test-token").header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), path + ": " + r.body());
      JsonNode body = Json.MAPPER.readTree(r.body());
      assertEquals("chat.completion", body.get("object").asText());
      assertEquals("assistant", body.get("choices").get(0).get("message").get("role").asText());
      assertEquals(workerId, r.headers().firstValue("X-Computing-Node").orElseThrow());
    }
  }
}
