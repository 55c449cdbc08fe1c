package org.opentela.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.opentela.sim.SimRequest.Kind;
import org.opentela.sim.SimRequest.Plan;

class SimRequestTest {

  private static SimRequest chat(String json) {
    return SimRequest.parse(Kind.CHAT, json.getBytes(StandardCharsets.UTF_8));
  }

  private static SimError error(Kind kind, String json) {
    return assertThrows(SimError.class, () -> SimRequest.parse(kind, json.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void readsTheFieldsThatShapeTheAnswer() {
    SimRequest r = chat("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        + "\"max_tokens\":9,\"temperature\":0.2,\"messages\":[{\"role\":\"user\",\"content\":\"12345678\"}]}");
    assertEquals("m", r.model());
    assertTrue(r.stream());
    assertTrue(r.includeUsage());
    assertEquals(9, r.maxTokens());
    assertEquals(3 + 4 + 2, r.promptTokens(), "reply priming + per-message overhead + 8 chars / 4");
  }

  @Test
  void maxCompletionTokensWinsOverMaxTokensAsInVllm() {
    assertEquals(2, chat("{\"max_completion_tokens\":2,\"max_tokens\":7,\"messages\":[{\"content\":\"x\"}]}")
        .maxTokens());
    assertNull(chat("{\"messages\":[{\"content\":\"x\"}]}").model());
  }

  @Test
  void contentPartsAndTokenIdPromptsCount() {
    SimRequest parts = chat("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"abcd\"},"
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://x\"}}]}]}");
    assertEquals(3 + 4 + 1, parts.promptTokens());
    SimRequest ids = SimRequest.parse(Kind.COMPLETION, "{\"prompt\":[[5,6,7,8,9]]}".getBytes(StandardCharsets.UTF_8));
    assertEquals(5, ids.promptTokens());
  }

  @Test
  void planStopsNaturallyOrIsCutByTheLimit() {
    SimRequest free = chat("{\"messages\":[{\"content\":\"x\"}]}");
    assertEquals(new Plan(16, "stop"), free.plan(16, 4096));
    SimRequest limited = chat("{\"max_tokens\":5,\"messages\":[{\"content\":\"x\"}]}");
    assertEquals(new Plan(5, "length"), limited.plan(16, 4096));
    SimRequest exact = chat("{\"max_tokens\":16,\"messages\":[{\"content\":\"x\"}]}");
    assertEquals(new Plan(16, "length"), exact.plan(16, 4096), "the limit was reached: no room for the end");
    SimRequest roomy = chat("{\"max_tokens\":100,\"messages\":[{\"content\":\"x\"}]}");
    assertEquals(new Plan(16, "stop"), roomy.plan(16, 4096));
    // No max_tokens: the context left after the prompt (8 tokens) is the limit.
    assertEquals(new Plan(2, "length"), free.plan(16, 10));
  }

  @Test
  void requestsThatDoNotFitTheContextAre400LikeVllm() {
    SimRequest r = chat("{\"max_tokens\":100,\"messages\":[{\"content\":\"x\"}]}");
    SimError e = assertThrows(SimError.class, () -> r.plan(16, 50));
    assertEquals(400, e.status());
    assertEquals("This model's maximum context length is 50 tokens. However, you requested 108 tokens (8 in the"
        + " messages, 100 in the completion). Please reduce the length of the messages or completion.", e.getMessage());
    SimError tooLong = assertThrows(SimError.class, () -> r.plan(16, 8));
    assertTrue(tooLong.getMessage().contains("your request has 8 input tokens"), tooLong.getMessage());
  }

  @Test
  void badFieldsAre400WithTheFieldNamed() {
    assertTrue(error(Kind.CHAT, "[1,2]").getMessage().startsWith("The request body must be a JSON object"));
    assertTrue(error(Kind.CHAT, "{\"messages\": [").getMessage().startsWith("Invalid JSON in the request body"));
    assertEquals("model: 7 (expected: a string naming a served model)",
        error(Kind.CHAT, "{\"model\":7,\"messages\":[{\"content\":\"x\"}]}").getMessage());
    assertTrue(error(Kind.CHAT, "{\"messages\":[]}").getMessage().startsWith("messages: [] (expected: a non-empty"));
    assertEquals("max_tokens: -1 (expected: an integer >= 1)",
        error(Kind.COMPLETION, "{\"prompt\":\"x\",\"max_tokens\":-1}").getMessage());
    assertEquals("n: 2 (expected: 1; llm-sim generates one choice per request)",
        error(Kind.COMPLETION, "{\"prompt\":\"x\",\"n\":2}").getMessage());
    assertEquals("stream: \"yes\" (expected: true or false)",
        error(Kind.COMPLETION, "{\"prompt\":\"x\",\"stream\":\"yes\"}").getMessage());
    assertEquals("prompt: 2 prompts (expected: one; llm-sim answers one prompt per request)",
        error(Kind.COMPLETION, "{\"prompt\":[\"a\",\"b\"]}").getMessage());
    assertEquals(400, error(Kind.COMPLETION, "{}").status());
  }
}
