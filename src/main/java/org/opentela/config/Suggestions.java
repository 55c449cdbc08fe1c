package org.opentela.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * "Did you mean ...?" for a mistyped flag or command: the known name that is the same once '-', '_' and
 * '.' are treated alike ({@code --bootstrap-addr} for {@code --bootstrap.addr}), else the closest within a
 * small edit distance ({@code --bootstap.addr}). Nothing is suggested when no name is close.
 */
final class Suggestions {
  private Suggestions() {}

  /** The known name closest to {@code typed}, if one is close enough to be what the user meant. */
  static Optional<String> closest(String typed, Collection<String> known) {
    String t = normalized(typed);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      String n = normalized(k);
      if (n.equals(t)) {
        return Optional.of(k);
      }
      int d = distance(t, n);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    // Two edits for a long name, one for a short one: "--port" is not a typo of "--seed".
    int allowed = t.length() >= 8 ? 2 : 1;
    return bestDistance <= allowed ? Optional.of(best) : Optional.empty();
  }

  private static String normalized(String name) {
    return name.toLowerCase(Locale.ROOT).replace('-', '.').replace('_', '.');
  }

  /** Levenshtein distance (insertions, deletions, substitutions; a swap of neighbours counts as one). */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
