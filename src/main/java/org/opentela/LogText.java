package org.opentela;

/**
 * Text a request controls (a header, a model name, a path) made safe for a log line: control characters,
 * and the Unicode ones that reorder or break lines, are shown as {@code \xNN} (or backslash, u and four hex
 * digits), so a
 * request cannot forge a log line or send escape sequences to a terminal; and the text is cut to a bounded
 * length. The log layout applies {@link #escape} to every message ({@link SafeLogMessage}); code that puts
 * request text in a message cuts it shorter with {@link #of}.
 */
public final class LogText {
  /** What {@link #of} keeps of a request's text. */
  public static final int FIELD = 200;

  private LogText() {}

  /** {@code text} escaped and cut to {@value #FIELD} characters; "null" for null. */
  public static String of(CharSequence text) {
    return escape(text, FIELD);
  }

  /** {@code text} with unsafe characters escaped, its first {@code max} characters kept. */
  public static String escape(CharSequence text, int max) {
    if (text == null) {
      return "null";
    }
    int n = text.length();
    int keep = Math.min(n, max);
    StringBuilder b = null;
    for (int i = 0; i < keep; i++) {
      char c = text.charAt(i);
      if (unsafe(c)) {
        if (b == null) {
          b = new StringBuilder(keep + 16).append(text, 0, i);
        }
        b.append(c <= 0xff ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
      } else if (b != null) {
        b.append(c);
      }
    }
    if (b == null && keep == n) {
      return text.toString();
    }
    if (b == null) {
      b = new StringBuilder(keep + 32).append(text, 0, keep);
    }
    if (keep < n) {
      b.append("... (").append(n).append(" characters)");
    }
    return b.toString();
  }

  /**
   * C0 and C1 control characters (newlines, NUL, ESC...), DEL, and the line/paragraph separators and
   * bidirectional controls that make text display in another order than it is stored.
   */
  static boolean unsafe(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029'
        || (c >= '\u200e' && c <= '\u200f') || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');
  }
}
