package org.opentela.auth;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Reads the usage of a server-sent event stream as it passes, and, when otela asked the backend for it
 * ({@code stream_options.include_usage} the client did not send), takes it out again so that the client
 * sees exactly the stream it asked for: the final usage chunk ({@code "choices":[]}) is dropped, and the
 * {@code "usage":null} that backends then add to every other chunk is removed.
 *
 * <p>Events are passed on whole: a chunk's incomplete last event waits for the rest. When nothing is
 * taken out, chunks pass unchanged and are only looked at. One instance per stream, not thread-safe (a
 * stream stage calls it in order).
 */
public final class SseUsage {
  private static final byte[] EMPTY_CHOICES = "\"choices\":[]".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ERROR = "{\"error\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] USAGE = "\"usage\"".getBytes(StandardCharsets.US_ASCII);

  private final boolean strip;
  private ByteString carry = ByteString.emptyByteString();
  private TokenUsage usage = TokenUsage.NONE;
  private boolean error;

  /** {@code strip}: take out the usage otela asked for. */
  public SseUsage(boolean strip) {
    this.strip = strip;
  }

  /** The bytes to pass on for {@code chunk} (possibly empty, never null). */
  public ByteString onChunk(ByteString chunk) {
    ByteString data = carry.isEmpty() ? chunk : carry.concat(chunk);
    byte[] b = data.toArrayUnsafe();
    int start = 0;
    ByteStringBuilder out = strip ? new ByteStringBuilder() : null;
    int end;
    while ((end = eventEnd(b, start)) > 0) {
      ByteString kept = event(b, start, end);
      if (out != null && kept != null) {
        out.append(kept);
      }
      start = end;
    }
    carry = data.drop(start);
    if (out == null) {
      // Nothing is taken out: pass the chunk as it came (events split across chunks are fine for the client).
      if (carry.size() > 1 << 20) {
        carry = ByteString.emptyByteString(); // not SSE after all: stop looking
      }
      return chunk;
    }
    return out.result();
  }

  /** The bytes still held when the stream ends. */
  public ByteString onEnd() {
    if (!strip) {
      return ByteString.emptyByteString();
    }
    ByteString rest = carry;
    carry = ByteString.emptyByteString();
    return rest;
  }

  public TokenUsage usage() {
    return usage;
  }

  /** Whether an event carried an error ({@code data: {"error":...}}). */
  public boolean sawError() {
    return error;
  }

  /** The index after the blank line that ends the event starting at {@code from}, or -1. */
  private static int eventEnd(byte[] b, int from) {
    for (int i = from; i + 1 < b.length; i++) {
      if (b[i] == '\n' && b[i + 1] == '\n') {
        return i + 2;
      }
      if (b[i] == '\r' && i + 3 < b.length && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
        return i + 4;
      }
    }
    return -1;
  }

  /** Looks at one event; returns what to pass on when stripping (null: drop it). */
  private ByteString event(byte[] b, int from, int to) {
    if (indexOf(b, from, to, ERROR) >= 0 && startsData(b, from, to)) {
      error = true;
    }
    if (indexOf(b, from, to, USAGE) < 0) {
      return strip ? ByteString.fromArray(b, from, to - from) : null;
    }
    TokenUsage.Located at = TokenUsage.locate(b, from, to);
    if (at == null) {
      return strip ? ByteString.fromArray(b, from, to - from) : null;
    }
    if (at.valueStart() >= 0) {
      usage = at.usage();
    }
    if (!strip) {
      return null;
    }
    if (at.valueStart() >= 0 && indexOf(b, from, to, EMPTY_CHOICES) >= 0) {
      return null; // the usage chunk otela asked for
    }
    return withoutMember(b, from, to, at);
  }

  /** The event without the {@code "usage"} member {@code at} and one comma next to it. */
  private static ByteString withoutMember(byte[] b, int from, int to, TokenUsage.Located at) {
    int cutFrom = at.keyStart();
    int cutTo = at.valueEnd();
    int before = cutFrom - 1;
    while (before >= from && isSpace(b[before])) {
      before--;
    }
    if (before >= from && b[before] == ',') {
      cutFrom = before;
    } else {
      int after = cutTo;
      while (after < to && isSpace(b[after])) {
        after++;
      }
      if (after < to && b[after] == ',') {
        cutTo = after + 1;
      }
    }
    return ByteString.fromArray(b, from, cutFrom - from).concat(ByteString.fromArray(b, cutTo, to - cutTo));
  }

  private static boolean startsData(byte[] b, int from, int to) {
    return to - from > 5 && b[from] == 'd' && b[from + 1] == 'a' && b[from + 2] == 't' && b[from + 3] == 'a';
  }

  private static boolean isSpace(byte c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  static int indexOf(byte[] b, int from, int to, byte[] needle) {
    outer:
    for (int i = from; i + needle.length <= to; i++) {
      for (int k = 0; k < needle.length; k++) {
        if (b[i + k] != needle[k]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
