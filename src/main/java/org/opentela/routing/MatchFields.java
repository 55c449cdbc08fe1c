package org.opentela.routing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What a request offers for identity-group matching: its top-level JSON string fields ({@code model} →
 * {@code Qwen/Qwen3-8B}) and the names of all its top-level fields (for {@code key=*} groups). For the
 * error a request that matches nothing gets: what its {@code model} is when it is not a string
 * ({@code modelKind}: "null", "a number", ...; null otherwise), and whether the fields came from an
 * {@code X-Otela-Identity-Group} header instead of the body.
 *
 * <p>Read with Jackson's streaming parser: nested values ({@code messages}) are skipped, never built
 * into a tree, so an 8 MiB chat request costs one pass over its bytes and a handful of allocations. When
 * asked, the same pass also hashes the start of the prompt ({@code messages} or {@code prompt}) into
 * {@code prefix} for cache-aware routing ({@link PromptPrefix}).
 */
public record MatchFields(Map<String, String> strings, Set<String> present, PromptPrefix prefix, String modelKind,
    boolean fromHeader) {
  private static final JsonFactory JSON = new JsonFactory();
  /** Top-level string values longer than this are not kept (see {@link #shortText}). */
  static final int MAX_VALUE_CHARS = 4096;

  public static final MatchFields NONE = new MatchFields(Map.of(), Set.of());

  /** Fields of a body whose model, if any, is a string, with the start of its prompt. */
  public MatchFields(Map<String, String> strings, Set<String> present, PromptPrefix prefix) {
    this(strings, present, prefix, null, false);
  }

  /** Fields of a body whose model, if any, is a string; no prompt prefix. */
  public MatchFields(Map<String, String> strings, Set<String> present) {
    this(strings, present, PromptPrefix.NONE, null, false);
  }

  /** Thrown for a body that is not a JSON object; the message says where it broke. */
  public static final class MalformedJson extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedJson(String message) {
      super(message);
    }
  }

  /** Parses the top level of a JSON object body. An empty body has no fields. */
  public static MatchFields ofJson(byte[] body, int offset, int length) throws MalformedJson {
    return ofJson(body, offset, length, false);
  }

  /** As {@link #ofJson(byte[], int, int)}; with {@code hashPrompt}, also the prompt's {@link PromptPrefix}. */
  public static MatchFields ofJson(byte[] body, int offset, int length, boolean hashPrompt) throws MalformedJson {
    if (length == 0) {
      return NONE;
    }
    Map<String, String> strings = new HashMap<>(8);
    Set<String> present = new HashSet<>(16);
    PromptPrefix prefix = PromptPrefix.NONE;
    String modelKind = null;
    try (JsonParser p = JSON.createParser(body, offset, length)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        return NONE;
      }
      if (first != JsonToken.START_OBJECT) {
        throw new MalformedJson("the request body must be a JSON object, found " + describe(first));
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        present.add(name);
        if (value == JsonToken.VALUE_STRING) {
          int quote = JsonStrings.start(p, body, offset, length);
          if (hashPrompt && name.equals("prompt")) {
            prefix = quote >= 0 ? PromptPrefix.ofString(body, quote, offset + length) : PromptPrefix.ofText(p.getText());
          }
          String text = quote >= 0 ? shortText(body, quote, offset + length) : p.getText();
          if (text != null) {
            strings.put(name, text);
          }
          continue;
        }
        if (name.equals(ProviderIndex.MODEL_KEY)) {
          modelKind = kind(value);
        }
        if (hashPrompt && value == JsonToken.START_ARRAY && (name.equals("messages") || name.equals("prompt"))) {
          prefix = PromptPrefix.read(p, body, offset, length);
        } else if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
          p.skipChildren();
        }
      }
      if (t != JsonToken.END_OBJECT) {
        throw new MalformedJson("unexpected " + describe(t) + " in the request body");
      }
      if (p.nextToken() != null) {
        throw new MalformedJson("trailing data after the JSON object in the request body");
      }
    } catch (IOException e) {
      String msg = e.getMessage();
      int cut = msg == null ? -1 : msg.indexOf("\n at [Source");
      throw new MalformedJson("the request body is not valid JSON: " + (cut > 0 ? msg.substring(0, cut) : msg));
    }
    return new MatchFields(strings, present, prefix, strings.containsKey(ProviderIndex.MODEL_KEY) ? null : modelKind, false);
  }

  /**
   * The string whose opening quote is at {@code quote}, or null when it is longer than
   * {@value #MAX_VALUE_CHARS} characters: no model id or group value is, and a long prompt is never
   * decoded whole (the parser only skips it).
   */
  private static String shortText(byte[] body, int quote, int end) {
    JsonStrings.Cursor c = new JsonStrings.Cursor(body, quote, end);
    char[] buf = new char[64];
    int n = c.next(buf);
    if (c.done()) {
      return new String(buf, 0, n);
    }
    StringBuilder sb = new StringBuilder(256).append(buf, 0, n);
    buf = new char[1024];
    while (!c.done() && sb.length() <= MAX_VALUE_CHARS) {
      sb.append(buf, 0, c.next(buf));
    }
    return sb.length() <= MAX_VALUE_CHARS ? sb.toString() : null;
  }

  /** A JSON value's kind as a message names it: "a number" (also for 1e999999, which is never converted). */
  private static String kind(JsonToken t) {
    switch (t) {
      case VALUE_NULL:
        return "null";
      case VALUE_TRUE:
      case VALUE_FALSE:
        return "a boolean";
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return "a number";
      case START_ARRAY:
        return "an array";
      case START_OBJECT:
        return "an object";
      default:
        return t.name().toLowerCase();
    }
  }

  /** The fields given by an {@code X-Otela-Identity-Group: key=value} header instead of the body. */
  public static MatchFields ofHeader(String group) {
    int eq = group.indexOf('=');
    if (eq <= 0) {
      return NONE;
    }
    String key = group.substring(0, eq).trim();
    String value = group.substring(eq + 1).trim();
    return new MatchFields(Map.of(key, value), Set.of(key), PromptPrefix.NONE, null, true);
  }

  private static String describe(JsonToken t) {
    return t == null ? "end of input" : t.asString() != null ? "'" + t.asString() + "'" : t.name().toLowerCase();
  }
}
