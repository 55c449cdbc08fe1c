package org.opentela.routing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Arrays;

/**
 * The start of a request's prompt as a chain of block hashes, for routing requests that share a prefix to
 * the worker whose KV cache already holds it. Block {@code i}'s hash covers the block and every block
 * before it, so two requests share block hash {@code i} exactly when (up to hash collisions) their prompts
 * agree on the first {@code (i + 1) × BLOCK_CHARS} characters.
 *
 * <p>The text hashed is canonical, not the raw JSON: for chat requests the {@code messages} value's field
 * names and scalar values in document order (whitespace and escapes do not matter), for text completions
 * the {@code prompt}. No tokenizer: a block is {@value #BLOCK_CHARS} characters (about 64 tokens), and at
 * most {@value #MAX_BLOCKS} blocks (16 KiB of text) are hashed, so the cost per request is bounded
 * whatever the body's size; a longer prompt is told apart by its first 16 KiB, which a conversation that
 * long shares only with itself. A prompt shorter than one block has no blocks: it is routed by load.
 */
public final class PromptPrefix {
  public static final int BLOCK_CHARS = 256;
  public static final int MAX_BLOCKS = 64;
  public static final PromptPrefix NONE = new PromptPrefix(new long[0]);

  private final long[] chain;

  private PromptPrefix(long[] chain) {
    this.chain = chain;
  }

  /** How many full blocks were hashed (0 to {@value #MAX_BLOCKS}). */
  public int blocks() {
    return chain.length;
  }

  /** The hash of the first {@code i + 1} blocks. */
  public long chain(int i) {
    return chain[i];
  }

  /** The blocks of a text prompt. */
  public static PromptPrefix ofText(String text) {
    Hasher h = new Hasher();
    h.append(text);
    return h.result();
  }

  /** The blocks of a text prompt given as the JSON string whose opening quote is at {@code quote}. */
  static PromptPrefix ofString(byte[] body, int quote, int end) {
    Hasher h = new Hasher();
    h.append(new JsonStrings.Cursor(body, quote, end), new char[BLOCK_CHARS]);
    return h.result();
  }

  /**
   * Reads a JSON array or object whose start the parser is on (a chat request's {@code messages}) to its
   * end, hashing its canonical text until {@value #MAX_BLOCKS} blocks are full; the rest is only skipped.
   */
  static PromptPrefix read(JsonParser p, byte[] body, int offset, int length) throws IOException {
    Hasher h = new Hasher();
    char[] scratch = null;
    int depth = 1;
    while (depth > 0) {
      JsonToken t = p.nextToken();
      if (t == null) {
        throw new IOException("unexpected end of input inside a JSON array or object");
      }
      switch (t) {
        case START_OBJECT, START_ARRAY -> {
          if (h.full()) {
            p.skipChildren(); // unread strings are skipped without being decoded
          } else {
            depth++;
          }
        }
        case END_OBJECT, END_ARRAY -> {
          depth--;
          h.append('\u001e'); // ends a message (or a part): "ab","c" is not "a","bc"
        }
        case FIELD_NAME -> {
          if (!h.full()) {
            h.append(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
            h.append(':');
          }
        }
        default -> {
          if (!h.full()) {
            int quote = JsonStrings.start(p, body, offset, length);
            if (quote >= 0) {
              // Only what the blocks need is decoded; the parser skips the rest of a long message.
              scratch = scratch == null ? new char[BLOCK_CHARS] : scratch;
              h.append(new JsonStrings.Cursor(body, quote, offset + length), scratch);
            } else {
              h.append(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
            }
            h.append('\n');
          }
        }
      }
    }
    return h.result();
  }

  /**
   * Hashes characters four at a time (one multiply per 64-bit word: about 0.3 ns a character), closing a
   * block every {@value #BLOCK_CHARS} characters with a full mix into the chain.
   */
  private static final class Hasher {
    private final long[] chain = new long[MAX_BLOCKS];
    private int blocks;
    private int inBlock;
    private long word;
    private long block = 0xcbf29ce484222325L;
    private long link = 0x6a09e667f3bcc909L;

    boolean full() {
      return blocks == MAX_BLOCKS;
    }

    void append(char c) {
      if (blocks == MAX_BLOCKS) {
        return;
      }
      word |= (long) c << ((inBlock & 3) << 4);
      inBlock++;
      if ((inBlock & 3) == 0) {
        block = (Long.rotateLeft(block, 23) ^ word) * 0x9e3779b97f4a7c15L;
        word = 0;
        if (inBlock == BLOCK_CHARS) {
          closeBlock();
        }
      }
    }

    /** As {@link #append(char)} for each character, whole 64-bit words at a time where it can. */
    void append(char[] text, int offset, int length) {
      int i = offset;
      int end = offset + length;
      while (i < end && blocks < MAX_BLOCKS) {
        if ((inBlock & 3) == 0 && end - i >= 4) {
          int words = Math.min((end - i) >> 2, (BLOCK_CHARS - inBlock) >> 2);
          long b = block;
          for (int k = 0; k < words; k++, i += 4) {
            long w = text[i] | (long) text[i + 1] << 16 | (long) text[i + 2] << 32 | (long) text[i + 3] << 48;
            b = (Long.rotateLeft(b, 23) ^ w) * 0x9e3779b97f4a7c15L;
          }
          block = b;
          inBlock += words << 2;
          if (inBlock == BLOCK_CHARS) {
            closeBlock();
          }
        } else {
          append(text[i++]);
        }
      }
    }

    /** The string {@code c} reads, until the blocks are full. */
    void append(JsonStrings.Cursor c, char[] scratch) {
      while (!c.done() && blocks < MAX_BLOCKS) {
        append(scratch, 0, c.next(scratch));
      }
    }

    void append(String text) {
      char[] buffer = new char[Math.min(text.length(), 1024)];
      for (int at = 0, n = text.length(); at < n && blocks < MAX_BLOCKS; at += buffer.length) {
        int len = Math.min(buffer.length, n - at);
        text.getChars(at, at + len, buffer, 0);
        append(buffer, 0, len);
      }
    }

    private void closeBlock() {
      link = mix(link * 31 + block);
      chain[blocks++] = link;
      inBlock = 0;
      block = 0xcbf29ce484222325L;
    }

    PromptPrefix result() {
      return blocks == 0 ? NONE : new PromptPrefix(Arrays.copyOf(chain, blocks));
    }
  }

  /** SplitMix64's finalizer: spreads every input bit over the whole hash. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PromptPrefix other && Arrays.equals(chain, other.chain);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(chain);
  }

  @Override
  public String toString() {
    return "PromptPrefix(" + chain.length + " blocks)";
  }
}
