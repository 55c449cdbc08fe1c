package org.opentela.sim;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

/**
 * The simulated answer: a fixed sentence, one word per token, repeated as often as needed. Token
 * {@code i} is word {@code i mod n}, with a leading space except the very first, as a BPE tokenizer
 * would split it. Deterministic, so tests can predict the text.
 */
final class Words {
  private static final String[] WORDS = ("This is llm-sim, a simulated language model: each word is one token,"
      + " produced on a timer, so that routers, clients and benchmarks can run without a GPU.").split(" ");
  /** Word {@code i} after the first token: with its leading space. */
  private static final String[] NEXT = new String[WORDS.length];
  /** Each token as a quoted, escaped JSON string. */
  private static final String[] JSON_NEXT = new String[WORDS.length];
  private static final String JSON_FIRST = quote(WORDS[0]);

  static {
    for (int i = 0; i < WORDS.length; i++) {
      NEXT[i] = " " + WORDS[i];
      JSON_NEXT[i] = quote(NEXT[i]);
    }
  }

  private Words() {}

  /** The text of token {@code i}. */
  static String token(int i) {
    return i == 0 ? WORDS[0] : NEXT[i % WORDS.length];
  }

  /** Token {@code i} as a JSON string literal, quotes included. */
  static String jsonToken(int i) {
    return i == 0 ? JSON_FIRST : JSON_NEXT[i % WORDS.length];
  }

  /** The first {@code n} tokens. */
  static String text(int n) {
    StringBuilder sb = new StringBuilder(n * 8);
    for (int i = 0; i < n; i++) {
      sb.append(token(i));
    }
    return sb.toString();
  }

  /** A JSON string literal for any text. */
  static String quote(String s) {
    return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + '"';
  }

  /**
   * Estimated token count of a text, about four characters per token as for English with GPT-style
   * tokenizers; the sim has no tokenizer, and usage only needs to be plausible and consistent.
   */
  static int estimateTokens(CharSequence text) {
    return (text.length() + 3) / 4;
  }
}
