package org.opentela.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The start of a JSON string read from the request's bytes decodes exactly what Jackson decodes. */
class JsonStringsTest {
  private static final JsonFactory JSON = new JsonFactory();

  /** Every kind of character: ASCII, 2-, 3- and 4-byte UTF-8, and each JSON escape (written by the caller). */
  private static String mixed(int length, long seed) {
    Random r = new Random(seed);
    String[] pieces = {"a", "Z", " ", "\u00e9", "\u00df", "\u4e2d", "\u20ac", "\ud83d\ude00", "\"", "\\", "/", "\n",
        "\t", "\r", "\b", "\f", "\u0001", "\u001f"};
    StringBuilder sb = new StringBuilder();
    while (sb.length() < length) {
      sb.append(pieces[r.nextInt(pieces.length)]);
    }
    return sb.toString();
  }

  /** A JSON string literal of {@code s}, with escapes of both kinds (short ones and six-character ones) and "\/". */
  private static String literal(String s) {
    StringBuilder sb = new StringBuilder("\"");
    int i = 0;
    for (char c : s.toCharArray()) {
      i++;
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '/' -> sb.append(i % 2 == 0 ? "\\/" : "/");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\r' -> sb.append("\\r");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20 || (i % 5 == 0 && c > 0x7f && !Character.isSurrogate(c))) {
            sb.append(String.format("\\u%04X", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  @Test
  void decodesWhatJacksonDecodesInPiecesOfAnySize() throws Exception {
    for (int seed = 0; seed < 20; seed++) {
      String text = mixed(3000, seed);
      byte[] body = ("{\"x\":" + literal(text) + "}").getBytes(StandardCharsets.UTF_8);
      try (JsonParser p = JSON.createParser(body, 0, body.length)) {
        p.nextToken();
        p.nextToken();
        assertEquals(JsonToken.VALUE_STRING, p.nextToken());
        int quote = JsonStrings.start(p, body, 0, body.length);
        assertTrue(quote > 0);
        JsonStrings.Cursor c = new JsonStrings.Cursor(body, quote, body.length);
        char[] buf = new char[2 + seed];
        StringBuilder got = new StringBuilder();
        while (!c.done()) {
          got.append(buf, 0, c.next(buf));
        }
        assertEquals(p.getText(), got.toString(), "seed " + seed);
        assertEquals(text, got.toString());
      }
    }
  }

  @Test
  void aStringLongerThanJacksonsLimitIsReadAsFarAsNeededAndSkipped() throws Exception {
    // Jackson refuses to decode strings over 20,000,000 characters (StreamReadConstraints); a 20 MB chat
    // message was a 400 invalid_json (bench/bodies, issue 17).
    String content = "word ".repeat(4_200_000);
    byte[] body = ("{\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}],\"model\":\"m\",\"prompt\":\""
        + content + "\"}").getBytes(StandardCharsets.UTF_8);
    MatchFields f = MatchFields.ofJson(body, 0, body.length, true);
    assertEquals("m", f.strings().get("model"));
    assertEquals(PromptPrefix.MAX_BLOCKS, f.prefix().blocks());
    assertEquals(PromptPrefix.ofText(content.substring(0, PromptPrefix.MAX_BLOCKS * PromptPrefix.BLOCK_CHARS)),
        f.prefix(), "the prompt's blocks come from its first 16 KiB, as before");
    assertNull(f.strings().get("prompt"), "a long value is not a match value");
    assertTrue(f.present().contains("prompt"));
  }

  @Test
  void shortValuesAreKeptLongOnesAreNot() throws Exception {
    String ok = "v".repeat(MatchFields.MAX_VALUE_CHARS);
    byte[] body = ("{\"a\":\"" + ok + "\",\"b\":\"" + ok + "w\",\"model\":\"Qwen/Qwen3-8B\"}")
        .getBytes(StandardCharsets.UTF_8);
    MatchFields f = MatchFields.ofJson(body, 0, body.length);
    assertEquals(ok, f.strings().get("a"));
    assertNull(f.strings().get("b"));
    assertEquals("Qwen/Qwen3-8B", f.strings().get("model"));
  }

  @Test
  void brokenStringsAreStillA400() {
    for (String broken : new String[] {"{\"messages\":[{\"content\":\"abc\\q" + "x".repeat(400) + "\"}]}",
        "{\"messages\":[{\"content\":\"abc\\u12G4" + "x".repeat(400) + "\"}]}",
        "{\"prompt\":\"" + "x".repeat(400) + "\u0001\"}",
        "{\"messages\":[{\"content\":\"" + "x".repeat(400)}) {
      byte[] b = broken.getBytes(StandardCharsets.UTF_8);
      assertThrows(MatchFields.MalformedJson.class, () -> MatchFields.ofJson(b, 0, b.length, true), broken);
    }
    byte[] invalidUtf8 = {'{', '"', 'p', 'r', 'o', 'm', 'p', 't', '"', ':', '"', (byte) 0xff, 'a', '"', '}'};
    assertThrows(MatchFields.MalformedJson.class, () -> MatchFields.ofJson(invalidUtf8, 0, invalidUtf8.length, true));
  }
}
