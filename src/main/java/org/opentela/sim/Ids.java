package org.opentela.sim;

import java.util.concurrent.ThreadLocalRandom;

/** Random ids shaped like vLLM's: 32 lower-case hex digits, as after {@code chatcmpl-} or {@code cmpl-}. */
final class Ids {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Ids() {}

  static String hex() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    char[] c = new char[32];
    long a = r.nextLong();
    long b = r.nextLong();
    for (int i = 0; i < 16; i++) {
      c[i] = HEX[(int) (a >>> (4 * i)) & 0xf];
      c[16 + i] = HEX[(int) (b >>> (4 * i)) & 0xf];
    }
    return new String(c);
  }
}
