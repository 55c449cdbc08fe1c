package org.opentela.auth;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The tokens a response reports in its {@code usage} object: {@code prompt_tokens} and
 * {@code completion_tokens} (chat, completions, embeddings), or {@code input_tokens} and
 * {@code output_tokens} (the Responses API).
 *
 * <p>Found without parsing the whole body: the last {@code "usage"} key (it is the top-level one, after
 * {@code choices}) is searched for from the end, and only its object is read with Jackson's streaming
 * parser. A key is told from text inside a string by what precedes its quote: in JSON a string's own
 * quotes are escaped, so a quote after {@code ,} or {@code {} opens a key or a value.
 */
public record TokenUsage(long prompt, long completion) {
  public static final TokenUsage NONE = new TokenUsage(0, 0);
  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] KEY = "\"usage\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  public long total() {
    return prompt + completion;
  }

  public TokenUsage plus(TokenUsage o) {
    return new TokenUsage(prompt + o.prompt, completion + o.completion);
  }

  /** The usage in {@code bytes[from, to)}, or {@link #NONE} when there is none (or it is null). */
  public static TokenUsage find(byte[] bytes, int from, int to) {
    Located at = locate(bytes, from, to);
    return at == null || at.valueStart < 0 ? NONE : at.usage;
  }

  /** Where a {@code "usage"} member is: its key's first byte, its value's first byte (-1 if null), its end. */
  record Located(int keyStart, int valueStart, int valueEnd, TokenUsage usage) {}

  /** The last {@code "usage"} member in {@code bytes[from, to)} whose value is an object or null; null if none. */
  static Located locate(byte[] bytes, int from, int to) {
    for (int i = to - KEY.length; i >= from; i--) {
      if (bytes[i] != '"' || !matchesKey(bytes, i) || !opensKey(bytes, from, i)) {
        continue;
      }
      int v = skipSpace(bytes, i + KEY.length, to);
      if (v >= to || bytes[v] != ':') {
        continue;
      }
      v = skipSpace(bytes, v + 1, to);
      if (v + 4 <= to && bytes[v] == 'n' && bytes[v + 1] == 'u' && bytes[v + 2] == 'l' && bytes[v + 3] == 'l') {
        return new Located(i, -1, v + 4, NONE);
      }
      if (v < to && bytes[v] == '{') {
        Located parsed = parse(bytes, i, v, to);
        if (parsed != null) {
          return parsed;
        }
      }
    }
    return null;
  }

  private static boolean matchesKey(byte[] b, int i) {
    for (int k = 1; k < KEY.length; k++) {
      if (b[i + k] != KEY[k]) {
        return false;
      }
    }
    return true;
  }

  private static boolean opensKey(byte[] b, int from, int quote) {
    for (int j = quote - 1; j >= from; j--) {
      byte c = b[j];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        continue;
      }
      return c == ',' || c == '{';
    }
    return false;
  }

  private static int skipSpace(byte[] b, int i, int to) {
    while (i < to && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) {
      i++;
    }
    return i;
  }

  private static Located parse(byte[] bytes, int keyStart, int objStart, int to) {
    long prompt = 0;
    long completion = 0;
    try (JsonParser p = JSON.createParser(bytes, objStart, to - objStart)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (value == JsonToken.VALUE_NUMBER_INT) {
          switch (name) {
            case "prompt_tokens", "input_tokens" -> prompt = Math.max(0, p.getLongValue());
            case "completion_tokens", "output_tokens" -> completion = Math.max(0, p.getLongValue());
            default -> { }
          }
        } else if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
          p.skipChildren();
        }
      }
      if (t != JsonToken.END_OBJECT) {
        return null;
      }
      int end = objStart + (int) p.currentLocation().getByteOffset();
      return new Located(keyStart, objStart, end, new TokenUsage(prompt, completion));
    } catch (IOException e) {
      return null;
    }
  }
}
