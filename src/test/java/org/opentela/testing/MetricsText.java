package org.opentela.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A strict reader of the Prometheus text format (0.0.4) and OpenMetrics text, for tests: every line must be a
 * comment ({@code # HELP}, {@code # TYPE}, {@code # UNIT}, {@code # EOF}) or a sample, else it throws. The
 * Prometheus Java client writes these formats but has no reader for them; label order and the spelling of
 * numbers ({@code 1} or {@code 1.0}) do not matter here, as they do not to Prometheus.
 */
public final class MetricsText {
  /** One sample: name, labels (sorted), value, and the exemplar's labels and value if it has one. */
  public record Sample(String name, Map<String, String> labels, double value, Map<String, String> exemplar,
      Double exemplarValue) {}

  private final List<Sample> samples;
  private final Map<String, String> types;
  private final boolean eof;

  private MetricsText(List<Sample> samples, Map<String, String> types, boolean eof) {
    this.samples = samples;
    this.types = types;
    this.eof = eof;
  }

  public static MetricsText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    Map<String, String> types = new LinkedHashMap<>();
    boolean eof = false;
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isEmpty()) {
        continue;
      }
      if (eof) {
        throw new IllegalArgumentException("line " + n + " after # EOF: " + line);
      }
      if (line.startsWith("#")) {
        String[] parts = line.split(" ", 4);
        switch (parts.length > 1 ? parts[1] : "") {
          case "TYPE" -> types.put(parts[2], parts[3]);
          case "HELP", "UNIT" -> { }
          case "EOF" -> eof = true;
          default -> throw new IllegalArgumentException("line " + n + ": unknown comment: " + line);
        }
        continue;
      }
      try {
        samples.add(sample(line));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("line " + n + " is not a sample: " + line + " (" + e.getMessage() + ")", e);
      }
    }
    return new MetricsText(samples, types, eof);
  }

  private static Sample sample(String line) {
    int[] at = {0};
    String name = name(line, at);
    Map<String, String> labels = line.charAt(at[0]) == '{' ? labels(line, at) : new TreeMap<>();
    expect(line, at, ' ');
    int end = line.indexOf(' ', at[0]);
    String rest = end < 0 ? "" : line.substring(end + 1);
    double value = number(line.substring(at[0], end < 0 ? line.length() : end));
    Map<String, String> exemplar = null;
    Double exemplarValue = null;
    int hash = rest.indexOf("# {");
    if (hash >= 0) {
      int[] e = {hash + 2};
      exemplar = labels(rest, e);
      expect(rest, e, ' ');
      int sp = rest.indexOf(' ', e[0]);
      exemplarValue = number(rest.substring(e[0], sp < 0 ? rest.length() : sp));
    }
    return new Sample(name, labels, value, exemplar, exemplarValue);
  }

  private static String name(String s, int[] at) {
    int i = at[0];
    while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == ':')) {
      i++;
    }
    if (i == at[0]) {
      throw new IllegalArgumentException("no name at " + at[0]);
    }
    String name = s.substring(at[0], i);
    at[0] = i;
    return name;
  }

  private static Map<String, String> labels(String s, int[] at) {
    Map<String, String> labels = new TreeMap<>();
    expect(s, at, '{');
    while (s.charAt(at[0]) != '}') {
      String label = name(s, at);
      expect(s, at, '=');
      expect(s, at, '"');
      StringBuilder v = new StringBuilder();
      for (char c = s.charAt(at[0]++); c != '"'; c = s.charAt(at[0]++)) {
        if (c == '\\') {
          char esc = s.charAt(at[0]++);
          v.append(switch (esc) {
            case 'n' -> '\n';
            case '\\' -> '\\';
            case '"' -> '"';
            default -> throw new IllegalArgumentException("bad escape \\" + esc);
          });
        } else {
          v.append(c);
        }
      }
      if (labels.put(label, v.toString()) != null) {
        throw new IllegalArgumentException("label " + label + " twice");
      }
      if (s.charAt(at[0]) == ',') {
        at[0]++;
      }
    }
    at[0]++;
    return labels;
  }

  private static void expect(String s, int[] at, char c) {
    if (s.charAt(at[0]) != c) {
      throw new IllegalArgumentException("expected '" + c + "' at " + at[0]);
    }
    at[0]++;
  }

  private static double number(String s) {
    return switch (s) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(s);
    };
  }

  public List<Sample> samples() {
    return samples;
  }

  /** The declared type of each metric family, by family name. */
  public Map<String, String> types() {
    return types;
  }

  /** Whether the text ended with OpenMetrics' {@code # EOF}. */
  public boolean eof() {
    return eof;
  }

  /** The sample named {@code name} whose labels are exactly {@code labels} (name, value pairs). */
  public Optional<Sample> find(String name, String... labels) {
    Map<String, String> want = new TreeMap<>();
    for (int i = 0; i + 1 < labels.length; i += 2) {
      want.put(labels[i], labels[i + 1]);
    }
    return samples.stream().filter(s -> s.name().equals(name) && s.labels().equals(want)).findFirst();
  }

  /** The value of {@link #find}; throws, naming what was there, when there is no such sample. */
  public double value(String name, String... labels) {
    return find(name, labels).orElseThrow(() -> new AssertionError("no sample " + name + " " + List.of(labels)
        + " among " + samples.stream().filter(s -> s.name().equals(name)).toList())).value();
  }

  /** Whether any sample has label {@code label} equal to {@code value}. */
  public boolean anyLabel(String label, String value) {
    return samples.stream().anyMatch(s -> value.equals(s.labels().get(label)));
  }
}
