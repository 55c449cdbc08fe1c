package org.opentela.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The prompt's block hashes, read in the same streaming pass as the match fields. */
class PromptPrefixTest {
  private static final String SYSTEM = "You are a meticulous assistant who answers in full sentences. ".repeat(12);

  private static MatchFields parse(String json) throws Exception {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    return MatchFields.ofJson(b, 0, b.length, true);
  }

  private static String msg(String role, String content) {
    return "{\"role\":\"" + role + "\",\"content\":\"" + content + "\"}";
  }

  private static String chat(String... messages) {
    return "{\"model\":\"m\",\"messages\":[" + String.join(",", messages) + "],\"stream\":true}";
  }

  private static int shared(PromptPrefix a, PromptPrefix b) {
    int n = 0;
    while (n < a.blocks() && n < b.blocks() && a.chain(n) == b.chain(n)) {
      n++;
    }
    return n;
  }

  @Test
  void aConversationsNextTurnStartsWithAllOfItsPreviousTurnsBlocks() throws Exception {
    String turn1 = chat(msg("system", SYSTEM), msg("user", "Explain prefix caching. ".repeat(20)));
    String turn2 = chat(msg("system", SYSTEM), msg("user", "Explain prefix caching. ".repeat(20)),
        msg("assistant", "It reuses the KV cache of a shared prompt start. ".repeat(5)), msg("user", "Why blocks?"));
    PromptPrefix p1 = parse(turn1).prefix();
    PromptPrefix p2 = parse(turn2).prefix();
    assertTrue(p1.blocks() >= 4, p1.toString());
    assertTrue(p2.blocks() > p1.blocks(), p2 + " vs " + p1);
    assertEquals(p1.blocks(), shared(p1, p2), "every full block of turn 1 is a block of turn 2");
  }

  @Test
  void conversationsSharingOnlyTheSystemPromptShareItsBlocksOnly() throws Exception {
    PromptPrefix a = parse(chat(msg("system", SYSTEM), msg("user", "First question, about hashing. ".repeat(20))))
        .prefix();
    PromptPrefix b = parse(chat(msg("system", SYSTEM), msg("user", "Second question: about eviction. ".repeat(20))))
        .prefix();
    // Canonical text: "role:system\ncontent:<SYSTEM>\n\u001e" then "role:user\ncontent:<question>...".
    int common = ("role:system\ncontent:" + SYSTEM + "\n\u001erole:user\ncontent:").length();
    assertEquals(common / PromptPrefix.BLOCK_CHARS, shared(a, b), "the blocks before the questions differ");
    assertTrue(a.blocks() > shared(a, b) + 1);
  }

  @Test
  void whitespaceAndEscapesDoNotChangeTheHash() throws Exception {
    String compact = chat(msg("system", SYSTEM), msg("user", "caf\u00e9 " + "x".repeat(300)));
    String spaced = "{ \"model\" : \"m\",\n  \"messages\" : [\n    { \"role\" : \"system\", \"content\" : \"" + SYSTEM
        + "\" },\n    { \"role\": \"user\", \"content\": \"caf\\u00e9 " + "x".repeat(300) + "\" } ] }";
    assertEquals(parse(compact).prefix(), parse(spaced).prefix());
    assertTrue(parse(compact).prefix().blocks() > 0);
  }

  @Test
  void messageBoundariesCount() throws Exception {
    String text = "y".repeat(600);
    PromptPrefix one = parse(chat(msg("user", text.substring(0, 300)), msg("user", text.substring(300)))).prefix();
    PromptPrefix other = parse(chat(msg("user", text.substring(0, 301)), msg("user", text.substring(301)))).prefix();
    assertEquals(one.chain(0), other.chain(0), "same first 256 characters");
    assertNotEquals(one.chain(1), other.chain(1), "the second block spans a different split");
  }

  @Test
  void howTheTextIsSplitIntoJsonStringsDoesNotMatter() throws Exception {
    // The same canonical characters arrive as strings of every length (word-at-a-time and one-by-one paths).
    StringBuilder parts = new StringBuilder();
    StringBuilder whole = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      String piece = "p" + i + "x".repeat(i % 7);
      parts.append(i == 0 ? "" : ",").append("{\"text\":\"").append(piece).append("\"}");
      whole.append("text:").append(piece).append("\n\u001e");
    }
    PromptPrefix viaParts = parse("{\"messages\":[" + parts + "]}").prefix();
    whole.append('\u001e');
    assertEquals(PromptPrefix.ofText(whole.toString()), viaParts);
    assertTrue(viaParts.blocks() > 10);
  }

  @Test
  void aPromptShorterThanOneBlockHasNone() throws Exception {
    assertEquals(PromptPrefix.NONE, parse(chat(msg("user", "Hi"))).prefix());
  }

  @Test
  void hashingIsBoundedWhateverTheBodySize() throws Exception {
    List<String> messages = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      messages.add(msg(i % 2 == 0 ? "user" : "assistant", "turn " + i + " " + "z".repeat(500)));
    }
    MatchFields f = parse(chat(messages.toArray(String[]::new)).replace("\"stream\":true", "\"user\":\"u-1\""));
    assertEquals(PromptPrefix.MAX_BLOCKS, f.prefix().blocks());
    assertEquals("u-1", f.strings().get("user"), "fields after a long messages array are still read");
    assertEquals("m", f.strings().get("model"));
  }

  @Test
  void textCompletionsHashTheirPrompt() throws Exception {
    String prompt = "Once upon a time, in a cache far away. ".repeat(20);
    PromptPrefix p = parse("{\"prompt\":\"" + prompt + "\",\"model\":\"m\"}").prefix();
    assertEquals(prompt.length() / PromptPrefix.BLOCK_CHARS, p.blocks());
    assertEquals(p, PromptPrefix.ofText(prompt));
    assertTrue(parse("{\"prompt\":[\"" + prompt + "\"]}").prefix().blocks() > 0, "a one-prompt list");
  }

  @Test
  void notAskedNotHashed() throws Exception {
    byte[] b = chat(msg("system", SYSTEM)).getBytes(StandardCharsets.UTF_8);
    MatchFields f = MatchFields.ofJson(b, 0, b.length);
    assertEquals(PromptPrefix.NONE, f.prefix());
    assertEquals("m", f.strings().get("model"));
  }

  @Test
  void brokenJsonInsideMessagesIsStillA400() {
    MatchFields.MalformedJson e = assertThrows(MatchFields.MalformedJson.class,
        () -> parse("{\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(400) + "\"}"));
    assertTrue(e.getMessage().startsWith("the request body is not valid JSON"), e.getMessage());
    assertThrows(MatchFields.MalformedJson.class, () -> parse("{\"messages\":[{\"role\":\"user\",}]}"));
  }
}
