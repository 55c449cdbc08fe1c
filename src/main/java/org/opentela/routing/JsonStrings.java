package org.opentela.routing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Reads the start of a JSON string straight from the request's bytes, so that the router decodes only the
 * characters it uses: a prompt's first 16 KiB, a field short enough to be a match value. Jackson would
 * decode the whole string into one buffer (a 2 MB message: 4 MB of chars, about a quarter of the head's CPU
 * per request in bench/bodies) and refuses strings over 20 million characters; a string whose text is never
 * asked for is only skipped (and still validated) by the parser's next token.
 *
 * <p>Decodes what Jackson decodes: UTF-8 to UTF-16 (a 4-byte sequence to a surrogate pair) and the JSON
 * escapes. Where the bytes are not valid JSON it stops early; the parser's own pass then reports the error.
 */
final class JsonStrings {
  private JsonStrings() {}

  /**
   * The position in {@code body} of the opening quote of the string token {@code p} is on, or -1 when the
   * parser cannot say (input that is not UTF-8 bytes): then the caller asks the parser for the text.
   */
  static int start(JsonParser p, byte[] body, int offset, int length) {
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      return -1;
    }
    long at = p.currentTokenLocation().getByteOffset();
    if (at < 0 || at >= length) {
      return -1;
    }
    int i = offset + (int) at;
    return body[i] == '"' ? i : -1;
  }

  /**
   * Reads a string's characters piece by piece, from its opening quote on: a caller that needs only the
   * start stops asking and the rest is never decoded. Not thread-safe; one per string.
   */
  static final class Cursor {
    private final byte[] body;
    private final int end;
    private int i;
    private boolean done;

    /** {@code quote}: the position of the string's opening quote ({@link #start}); {@code end}: the input's end. */
    Cursor(byte[] body, int quote, int end) {
      this.body = body;
      this.end = end;
      this.i = quote + 1;
    }

    /** Whether the closing quote was reached (or the bytes were not valid JSON: the parser will say so). */
    boolean done() {
      return done;
    }

    /**
     * Decodes the next characters into {@code out} (a surrogate pair is written whole or not at all, so
     * {@code out} holds at least 2). Returns how many were written.
     */
    int next(char[] out) {
      int n = 0;
      int max = out.length;
      while (n < max) {
        if (i >= end) {
          done = true;
          return n;
        }
        int b = body[i] & 0xff;
        if (b == '"') {
          done = true;
          return n;
        }
        int c;
        int used;
        if (b == '\\') {
          c = i + 1 < end ? escaped(body[i + 1]) : -1;
          used = 2;
          if (c == 'u') {
            c = hex4(body, i + 2, end);
            used = 6;
          }
        } else if (b < 0x80) {
          c = b;
          used = 1;
        } else if ((b & 0xe0) == 0xc0 && i + 1 < end) {
          c = (b & 0x1f) << 6 | body[i + 1] & 0x3f;
          used = 2;
        } else if ((b & 0xf0) == 0xe0 && i + 2 < end) {
          c = (b & 0x0f) << 12 | (body[i + 1] & 0x3f) << 6 | body[i + 2] & 0x3f;
          used = 3;
        } else if ((b & 0xf8) == 0xf0 && i + 3 < end) {
          if (n + 2 > max) {
            return n;
          }
          int cp = (b & 0x07) << 18 | (body[i + 1] & 0x3f) << 12 | (body[i + 2] & 0x3f) << 6 | body[i + 3] & 0x3f;
          out[n++] = Character.highSurrogate(cp);
          out[n++] = Character.lowSurrogate(cp);
          i += 4;
          continue;
        } else {
          c = -1;
          used = 0;
        }
        if (c < 0) {
          done = true; // not valid JSON here: the parser reports it when it skips the string
          return n;
        }
        out[n++] = (char) c;
        i += used;
      }
      return n;
    }
  }

  /** The character an escape {@code \x} stands for; {@code 'u'} for a {@code \\uXXXX} escape; -1 for none. */
  private static int escaped(byte x) {
    return switch (x) {
      case '"' -> '"';
      case '\\' -> '\\';
      case '/' -> '/';
      case 'b' -> '\b';
      case 'f' -> '\f';
      case 'n' -> '\n';
      case 'r' -> '\r';
      case 't' -> '\t';
      case 'u' -> 'u';
      default -> -1;
    };
  }

  private static int hex4(byte[] body, int at, int end) {
    if (at + 4 > end) {
      return -1;
    }
    int v = 0;
    for (int k = 0; k < 4; k++) {
      int d = Character.digit(body[at + k], 16);
      if (d < 0) {
        return -1;
      }
      v = v << 4 | d;
    }
    return v;
  }
}
