package org.opentela.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sim's answers, field by field, against the OpenAI / vLLM wire format. */
class SimWireFormatTest {
  private static final String HELLO = "\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world!\"}]";
  private static LlmSim sim;
  private static SimHttp http;

  @BeforeAll
  static void start() {
    sim = LlmSim.start(SimSettings.defaults().withPort(0).withModels("alpha", "beta").withLatency(0, 0)
        .withMaxTokens(5).withMaxModelLen(1000));
    http = new SimHttp(sim.port());
  }

  @AfterAll
  static void stop() {
    sim.close();
  }

  @Test
  void chatCompletionHasOpenAiShapeAndUsage() {
    JsonNode r = SimHttp.json(http.post("/v1/chat/completions", "{\"model\":\"beta\"," + HELLO + "}"));
    assertTrue(r.get("id").asText().matches("chatcmpl-[0-9a-f]{32}"), r.toString());
    assertEquals("chat.completion", r.get("object").asText());
    assertTrue(r.get("created").isIntegralNumber());
    assertEquals("beta", r.get("model").asText());
    JsonNode choice = r.get("choices").get(0);
    assertEquals(1, r.get("choices").size());
    assertEquals(0, choice.get("index").asInt());
    assertEquals("assistant", choice.get("message").get("role").asText());
    assertEquals(Words.text(5), choice.get("message").get("content").asText());
    assertTrue(choice.get("message").get("refusal").isNull());
    assertTrue(choice.get("logprobs").isNull());
    assertEquals("stop", choice.get("finish_reason").asText());
    JsonNode usage = r.get("usage");
    assertEquals(5, usage.get("completion_tokens").asInt());
    assertTrue(usage.get("prompt_tokens").asInt() > 0);
    assertEquals(usage.get("prompt_tokens").asInt() + 5, usage.get("total_tokens").asInt());
  }

  @Test
  void requestMaxTokensCutsTheAnswerWithFinishReasonLength() {
    JsonNode r = SimHttp.json(http.post("/v1/chat/completions",
        "{\"model\":\"alpha\",\"max_tokens\":2," + HELLO + "}"));
    assertEquals("This is", r.get("choices").get(0).get("message").get("content").asText());
    assertEquals("length", r.get("choices").get(0).get("finish_reason").asText());
    assertEquals(2, r.get("usage").get("completion_tokens").asInt());
  }

  @Test
  void missingModelMeansTheFirstServedModel() {
    JsonNode r = SimHttp.json(http.post("/v1/chat/completions", "{" + HELLO + "}"));
    assertEquals("alpha", r.get("model").asText());
  }

  @Test
  void streamedChatSendsRoleThenDeltasThenFinishThenUsageThenDone() {
    HttpResponse<String> resp = http.post("/v1/chat/completions", "{\"model\":\"alpha\",\"stream\":true,"
        + "\"stream_options\":{\"include_usage\":true}," + HELLO + "}");
    assertEquals(200, resp.statusCode());
    assertEquals("text/event-stream", resp.headers().firstValue("content-type").orElse(""));
    List<String> data = SimHttp.sseData(resp.body());
    // role chunk, 5 content chunks, finish chunk, usage chunk, [DONE]
    assertEquals(9, data.size(), resp.body());
    String id = null;
    StringBuilder content = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      JsonNode chunk = SimHttp.parse(data.get(i));
      assertEquals("chat.completion.chunk", chunk.get("object").asText());
      assertEquals("alpha", chunk.get("model").asText());
      id = id == null ? chunk.get("id").asText() : id;
      assertEquals(id, chunk.get("id").asText(), "one id for the whole stream");
      assertTrue(chunk.has("usage"), "include_usage: every chunk has a usage field");
      if (i < 7) {
        assertTrue(chunk.get("usage").isNull());
        JsonNode choice = chunk.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        JsonNode delta = choice.get("delta");
        if (i == 0) {
          assertEquals("assistant", delta.get("role").asText());
          assertEquals("", delta.get("content").asText());
        } else if (i < 6) {
          assertFalse(delta.has("role"));
          content.append(delta.get("content").asText());
        } else {
          assertEquals(0, delta.size(), "the finish chunk has an empty delta");
        }
        assertEquals(i == 6 ? "stop" : null, choice.get("finish_reason").isNull() ? null
            : choice.get("finish_reason").asText());
      } else {
        assertEquals(0, chunk.get("choices").size());
        assertEquals(5, chunk.get("usage").get("completion_tokens").asInt());
        assertEquals(chunk.get("usage").get("prompt_tokens").asInt() + 5,
            chunk.get("usage").get("total_tokens").asInt());
      }
    }
    assertTrue(id.startsWith("chatcmpl-"));
    assertEquals(Words.text(5), content.toString());
  }

  @Test
  void streamWithoutIncludeUsageHasNoUsageAnywhere() {
    HttpResponse<String> resp = http.post("/v1/chat/completions", "{\"model\":\"alpha\",\"stream\":true,"
        + "\"max_completion_tokens\":3," + HELLO + "}");
    List<String> data = SimHttp.sseData(resp.body());
    assertEquals(1 + 3 + 1 + 1, data.size(), resp.body());
    for (String d : data.subList(0, data.size() - 1)) {
      assertFalse(SimHttp.parse(d).has("usage"), d);
    }
    JsonNode last = SimHttp.parse(data.get(data.size() - 2)).get("choices").get(0);
    assertEquals("length", last.get("finish_reason").asText());
  }

  @Test
  void textCompletionAndItsStream() {
    JsonNode r = SimHttp.json(http.post("/v1/completions", "{\"model\":\"beta\",\"prompt\":\"Once upon a time\"}"));
    assertTrue(r.get("id").asText().matches("cmpl-[0-9a-f]{32}"));
    assertEquals("text_completion", r.get("object").asText());
    assertEquals(Words.text(5), r.get("choices").get(0).get("text").asText());
    assertEquals("stop", r.get("choices").get(0).get("finish_reason").asText());
    assertEquals(4, r.get("usage").get("prompt_tokens").asInt());

    HttpResponse<String> resp = http.post("/v1/completions", "{\"model\":\"beta\",\"prompt\":[1,2,3],"
        + "\"max_tokens\":2,\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    List<String> data = SimHttp.sseData(resp.body());
    assertEquals(2 + 1 + 1 + 1, data.size(), resp.body());
    assertEquals("This", SimHttp.parse(data.get(0)).get("choices").get(0).get("text").asText());
    assertEquals(" is", SimHttp.parse(data.get(1)).get("choices").get(0).get("text").asText());
    JsonNode finish = SimHttp.parse(data.get(2));
    assertEquals("text_completion", finish.get("object").asText());
    assertEquals("length", finish.get("choices").get(0).get("finish_reason").asText());
    JsonNode usage = SimHttp.parse(data.get(3)).get("usage");
    assertEquals(3, usage.get("prompt_tokens").asInt(), "token ids count one each");
    assertEquals(2, usage.get("completion_tokens").asInt());
  }

  @Test
  void aBodyThatArrivesAfterTheHeadersIsReadToo() throws Exception {
    byte[] body = ("{\"model\":\"alpha\"," + HELLO + "}").getBytes(StandardCharsets.UTF_8);
    try (Socket s = new Socket("127.0.0.1", sim.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      // With "Expect: 100-continue" the server asks for the body only once it has the headers: the body
      // then arrives after them, and the request's entity is streamed, never strict.
      out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Expect: 100-continue\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String interim = SimHttp.readUntil(s, "\r\n\r\n");
      assertTrue(interim.startsWith("HTTP/1.1 100 Continue"), interim);
      out.write(body);
      out.flush();
      String response = SimHttp.readUntil(s, "\"total_tokens\"");
      assertTrue(response.startsWith("HTTP/1.1 200 OK"), response);
      assertTrue(response.contains("\"content\":\"" + Words.text(5) + "\""), response);
    }
  }

  @Test
  void modelsListsEveryServedModelLikeVllm() {
    JsonNode r = SimHttp.json(http.get("/v1/models"));
    assertEquals("list", r.get("object").asText());
    assertEquals(2, r.get("data").size());
    JsonNode m = r.get("data").get(1);
    assertEquals("beta", m.get("id").asText());
    assertEquals("model", m.get("object").asText());
    assertEquals("llm-sim", m.get("owned_by").asText());
    assertEquals("beta", m.get("root").asText());
    assertTrue(m.has("parent") && m.get("parent").isNull());
    assertEquals(1000, m.get("max_model_len").asInt());
    assertTrue(m.get("created").isIntegralNumber());
  }

  @Test
  void healthIsAnEmpty200() {
    HttpResponse<String> r = http.get("/health");
    assertEquals(200, r.statusCode());
    assertEquals("", r.body());
  }

  @Test
  void unknownModelIs404InVllmErrorShape() {
    HttpResponse<String> r = http.post("/v1/chat/completions", "{\"model\":\"gamma\"," + HELLO + "}");
    assertEquals(404, r.statusCode());
    JsonNode error = SimHttp.parse(r.body()).get("error");
    assertEquals("The model `gamma` does not exist.", error.get("message").asText());
    assertEquals("NotFoundError", error.get("type").asText());
    assertTrue(error.get("param").isNull());
    assertEquals(404, error.get("code").asInt());
  }

  @Test
  void badRequestsAre400WithAMessageThatSaysWhatToSend() {
    assertError(400, "Invalid JSON", http.post("/v1/chat/completions", "{\"model\": \"alpha\", "));
    assertError(400, "messages: missing", http.post("/v1/chat/completions", "{\"model\":\"alpha\"}"));
    assertError(400, "prompt: missing", http.post("/v1/completions", "{\"model\":\"alpha\"}"));
    assertError(400, "max_tokens: 0 (expected: an integer >= 1)",
        http.post("/v1/chat/completions", "{\"max_tokens\":0," + HELLO + "}"));
    assertError(400, "Stream options can only be defined when `stream=True`.",
        http.post("/v1/chat/completions", "{\"stream_options\":{\"include_usage\":true}," + HELLO + "}"));
    assertError(400, "maximum context length is 1000 tokens",
        http.post("/v1/chat/completions", "{\"max_tokens\":999," + HELLO + "}"));
  }

  @Test
  void wrongMethodIs405AndUnknownPathIs404() {
    HttpResponse<String> r = http.get("/v1/chat/completions");
    assertError(405, "Method GET is not allowed on /v1/chat/completions (expected: POST)", r);
    assertEquals("POST", r.headers().firstValue("allow").orElse(""));
    assertError(404, "No endpoint GET /v1/embeddings", http.get("/v1/embeddings"));
  }

  private static void assertError(int status, String messagePart, HttpResponse<String> r) {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
    JsonNode error = SimHttp.parse(r.body()).get("error");
    assertTrue(error.get("message").asText().contains(messagePart), r.body());
    assertEquals(status, error.get("code").asInt());
  }
}
