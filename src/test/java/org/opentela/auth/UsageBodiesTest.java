package org.opentela.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.opentela.Json;

/** Usage read from response bodies and streams, and the stream_options rewrite, on the bytes backends send. */
class UsageBodiesTest {
  static TokenUsage usage(String json) {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    return TokenUsage.find(b, 0, b.length);
  }

  @Test
  void theUsageOfAWholeResponseIsFoundFromTheEnd() {
    assertEquals(new TokenUsage(12, 9), usage("{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"hi\"}}],"
        + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":9,\"total_tokens\":21}}"));
    // Spaces (Python's json.dumps), fields after usage, the Responses API's names, embeddings' lack of completion.
    assertEquals(new TokenUsage(3, 4), usage("{\"usage\" : { \"prompt_tokens\" : 3, \"completion_tokens\": 4,"
        + " \"prompt_tokens_details\": {\"cached_tokens\": 1}}, \"prompt_logprobs\": null}"));
    assertEquals(new TokenUsage(5, 7), usage("{\"output\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":7}}"));
    assertEquals(new TokenUsage(8, 0), usage("{\"data\":[{\"embedding\":[0.1,0.2]}],\"usage\":{\"prompt_tokens\":8,"
        + "\"total_tokens\":8}}"));
  }

  @Test
  void textThatLooksLikeUsageInsideAStringIsNotUsage() {
    assertEquals(new TokenUsage(1, 2), usage("{\"choices\":[{\"message\":{\"content\":\"say \\\"usage\\\":{"
        + "\\\"prompt_tokens\\\":999}\"}}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}"));
    assertSame(TokenUsage.NONE, usage("{\"content\":\"\\\"usage\\\":{\\\"prompt_tokens\\\":5}\"}"));
    assertSame(TokenUsage.NONE, usage("{\"usage\":null}"));
    assertSame(TokenUsage.NONE, usage("not json at all"));
    assertSame(TokenUsage.NONE, usage(""));
  }

  static String chunk(String content, boolean usageNull) {
    return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
        + content + "\"}}]" + (usageNull ? ",\"usage\":null" : "") + "}\n\n";
  }

  static final String USAGE_CHUNK = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],"
      + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":3,\"total_tokens\":13}}\n\n";

  static String run(SseUsage s, String... chunks) {
    StringBuilder out = new StringBuilder();
    for (String c : chunks) {
      out.append(s.onChunk(ByteString.fromString(c)).utf8String());
    }
    return out.append(s.onEnd().utf8String()).toString();
  }

  @Test
  void theUsageOtelaAskedForIsTakenOutOfTheStreamTheClientSees() {
    SseUsage s = new SseUsage(true);
    String all = chunk("a", true) + chunk("b", true) + USAGE_CHUNK + "data: [DONE]\n\n";
    // Split at awkward places: inside an event, inside "usage", between the two newlines.
    String out = run(s, all.substring(0, 20), all.substring(20, 95), all.substring(95, 140), all.substring(140, 200),
        all.substring(200));
    assertEquals(chunk("a", false) + chunk("b", false) + "data: [DONE]\n\n", out);
    assertEquals(new TokenUsage(10, 3), s.usage());
    assertFalse(s.sawError());
  }

  @Test
  void aClientThatAskedForUsageGetsTheStreamUnchanged() {
    SseUsage s = new SseUsage(false);
    String all = chunk("a", true) + USAGE_CHUNK + "data: [DONE]\n\n";
    assertEquals(all, run(s, all.substring(0, 50), all.substring(50)));
    assertEquals(new TokenUsage(10, 3), s.usage());
  }

  @Test
  void anErrorEventIsNoticed() {
    SseUsage s = new SseUsage(false);
    run(s, chunk("a", false), "data: {\"error\":{\"message\":\"cut\",\"type\":\"server_error\",\"code\":\"stream_interrupted\"}}\n\n");
    assertTrue(s.sawError());
    SseUsage quoted = new SseUsage(false);
    run(quoted, chunk("say {\\\"error\\\": 1}", false));
    assertFalse(quoted.sawError(), "an error in the generated text is not an error event");
  }

  @Test
  void usageInAContentChunkIsRemovedFromThatChunkOnly() {
    SseUsage s = new SseUsage(true);
    String last = "data: {\"choices\":[{\"delta\":{\"content\":\"z\"}}],\"usage\":{\"prompt_tokens\":2,"
        + "\"completion_tokens\":1}}\n\n";
    assertEquals("data: {\"choices\":[{\"delta\":{\"content\":\"z\"}}]}\n\n", run(s, last));
    assertEquals(new TokenUsage(2, 1), s.usage());
  }

  static ByteString bytes(String s) {
    return ByteString.fromString(s);
  }

  @Test
  void aStreamWithoutIncludeUsageIsAskedForIt() throws Exception {
    StreamOptions.Rewrite r = StreamOptions.ensureUsage(bytes("{\"model\":\"m\",\"stream\":true,\"messages\":[]}"));
    assertTrue(r.stream() && r.stripUsage());
    JsonNode sent = Json.MAPPER.readTree(r.body().utf8String());
    assertTrue(sent.get("stream_options").get("include_usage").asBoolean());
    assertEquals("m", sent.get("model").asText());

    StreamOptions.Rewrite other = StreamOptions.ensureUsage(
        bytes("{\"stream\":true,\"stream_options\":{\"continuous_usage_stats\":false}}"));
    assertTrue(other.stripUsage());
    JsonNode merged = Json.MAPPER.readTree(other.body().utf8String()).get("stream_options");
    assertTrue(merged.get("include_usage").asBoolean());
    assertFalse(merged.get("continuous_usage_stats").asBoolean());
  }

  @Test
  void otherBodiesAreSentAsTheyCame() {
    for (String body : new String[] {"{\"model\":\"m\",\"messages\":[]}", "{\"stream\":false}",
        "{\"stream\":true,\"stream_options\":{\"include_usage\":true}}", "{\"stream\":true", "[1,2]",
        "{\"messages\":[{\"content\":\"\\\"stream\\\":true\"}]}"}) {
      ByteString b = bytes(body);
      StreamOptions.Rewrite r = StreamOptions.ensureUsage(b);
      assertSame(b, r.body(), body);
      assertFalse(r.stripUsage(), body);
    }
  }
}
