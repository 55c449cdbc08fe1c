package org.opentela.auth;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.opentela.Json;

/**
 * Makes a streaming completion request ask for its usage. A stream reports its tokens only when the
 * client sent {@code stream_options.include_usage: true}; without them a key's token limit and usage
 * would miss every stream. So otela adds the option, and {@link SseUsage} removes what it adds to the
 * answer.
 *
 * <p>Only bodies that contain {@code "stream"} are parsed (a byte search first, then the top level with
 * the streaming parser); the common case, no {@code stream_options}, is a splice after the opening brace,
 * without building a tree.
 */
public final class StreamOptions {
  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] STREAM = "\"stream\"".getBytes(StandardCharsets.US_ASCII);
  private static final ByteString OPTION = ByteString.fromString("\"stream_options\":{\"include_usage\":true},");

  /** A body to send, and whether the usage otela asked for must be taken out of the answer. */
  public record Rewrite(ByteString body, boolean stream, boolean stripUsage) {}

  private StreamOptions() {}

  /** What to send for {@code body}; unchanged unless it is a stream that did not ask for usage. */
  public static Rewrite ensureUsage(ByteString body) {
    byte[] b = body.toArrayUnsafe();
    if (SseUsage.indexOf(b, 0, b.length, STREAM) < 0) {
      return new Rewrite(body, false, false);
    }
    boolean stream = false;
    boolean hasOptions = false;
    boolean includeUsage = false;
    try (JsonParser p = JSON.createParser(b)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return new Rewrite(body, false, false);
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (name.equals("stream")) {
          stream = v == JsonToken.VALUE_TRUE;
        } else if (name.equals("stream_options") && v == JsonToken.START_OBJECT) {
          hasOptions = true;
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String opt = p.currentName();
            JsonToken ov = p.nextToken();
            if (opt.equals("include_usage")) {
              includeUsage = ov == JsonToken.VALUE_TRUE;
            } else {
              p.skipChildren();
            }
          }
        } else if (name.equals("stream_options")) {
          hasOptions = v != JsonToken.VALUE_NULL;
          p.skipChildren();
        } else {
          p.skipChildren();
        }
      }
    } catch (IOException e) {
      return new Rewrite(body, false, false); // not ours to judge: the backend answers it
    }
    if (!stream || includeUsage) {
      return new Rewrite(body, stream, false);
    }
    if (!hasOptions) {
      int brace = 0;
      while (b[brace] != '{') {
        brace++;
      }
      int next = brace + 1;
      while (next < b.length && (b[next] == ' ' || b[next] == '\n' || b[next] == '\r' || b[next] == '\t')) {
        next++;
      }
      ByteString option = b[next] == '}' ? OPTION.dropRight(1) : OPTION;
      return new Rewrite(body.take(brace + 1).concat(option).concat(body.drop(brace + 1)), true, true);
    }
    try {
      ObjectNode tree = (ObjectNode) Json.MAPPER.readTree(b);
      if (!(tree.get("stream_options") instanceof ObjectNode)) {
        tree.putObject("stream_options");
      }
      ((ObjectNode) tree.get("stream_options")).put("include_usage", true);
      return new Rewrite(ByteString.fromArrayUnsafe(Json.MAPPER.writeValueAsBytes(tree)), true, true);
    } catch (IOException | ClassCastException e) {
      return new Rewrite(body, true, false);
    }
  }
}
