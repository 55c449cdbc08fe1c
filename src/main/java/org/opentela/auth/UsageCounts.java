package org.opentela.auth;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * What this node's requests used, per key and model: requests, prompt tokens, completion tokens and
 * errors. Recorded on the request path without locks; {@link UsageKeeper} drains the counts per day into
 * the replicated, durable usage, and {@code /metrics} shows the totals since this node started (labelled
 * by key name, never by secret). Model names come from clients, so their number per node is capped:
 * later ones count as {@code other}.
 */
public final class UsageCounts {
  static final int MAX_SERIES = 4096;
  static final String OTHER = "other";
  /** The key id that requests made with the admin key are counted under. */
  public static final String ADMIN = "admin";

  /** Requests, prompt tokens, completion tokens, errors: the four counts of a series. */
  public record Counts(long requests, long prompt, long completion, long errors) {
    Counts plus(Counts o) {
      return new Counts(requests + o.requests, prompt + o.prompt, completion + o.completion, errors + o.errors);
    }

    boolean isZero() {
      return requests == 0 && prompt == 0 && completion == 0 && errors == 0;
    }
  }

  /** A series: a key on a UTC day (epoch day) and a model. */
  record Series(long day, String keyId, String model) {}

  private static final class Adders {
    final LongAdder requests = new LongAdder();
    final LongAdder prompt = new LongAdder();
    final LongAdder completion = new LongAdder();
    final LongAdder errors = new LongAdder();

    void add(TokenUsage u, boolean error) {
      requests.increment();
      if (u.prompt() > 0) {
        prompt.add(u.prompt());
      }
      if (u.completion() > 0) {
        completion.add(u.completion());
      }
      if (error) {
        errors.increment();
      }
    }

    Counts drain() {
      return new Counts(requests.sumThenReset(), prompt.sumThenReset(), completion.sumThenReset(),
          errors.sumThenReset());
    }

    Counts sum() {
      return new Counts(requests.sum(), prompt.sum(), completion.sum(), errors.sum());
    }
  }

  private final LongSupplier epochMillis;
  private final Map<Series, Adders> pending = new ConcurrentHashMap<>();
  private final Map<Series, Adders> totals = new ConcurrentHashMap<>();

  public UsageCounts(LongSupplier epochMillis) {
    this.epochMillis = epochMillis;
  }

  /** One finished request under {@code keyId} for {@code model} (null or blank: none named). */
  public void record(String keyId, String model, TokenUsage usage, boolean error) {
    String m = model == null || model.isBlank() ? "-" : model.length() > 200 ? model.substring(0, 200) : model;
    long day = Math.floorDiv(epochMillis.getAsLong(), 86_400_000L);
    adders(pending, new Series(day, keyId, m), new Series(day, keyId, OTHER)).add(usage, error);
    adders(totals, new Series(0, keyId, m), new Series(0, keyId, OTHER)).add(usage, error);
  }

  private static Adders adders(Map<Series, Adders> map, Series s, Series overflow) {
    Adders a = map.get(s);
    if (a != null) {
      return a;
    }
    return map.computeIfAbsent(map.size() >= MAX_SERIES ? overflow : s, k -> new Adders());
  }

  /** The counts recorded since the last drain, per series (zero series left out). */
  Map<Series, Counts> drain() {
    Map<Series, Counts> out = new HashMap<>();
    pending.forEach((s, a) -> {
      Counts c = a.drain();
      if (!c.isZero()) {
        out.put(s, c);
      }
    });
    // Days that ended are not written to again: their adders can go once drained.
    long today = Math.floorDiv(epochMillis.getAsLong(), 86_400_000L);
    pending.entrySet().removeIf(e -> e.getKey().day() < today && e.getValue().sum().isZero());
    return out;
  }

  /** This node's totals since it started, by key name (or {@value #ADMIN}) and model: the {@code /metrics} series. */
  public Map<List<String>, Counts> totalsByName(KeyRing ring) {
    Map<List<String>, Counts> byName = new TreeMap<>(java.util.Comparator.comparing((List<String> l) -> l.get(0))
        .thenComparing(l -> l.get(1)));
    totals.forEach((s, a) -> {
      String name = s.keyId().equals(ADMIN) ? ADMIN : ring.nameOf(s.keyId());
      byName.merge(List.of(name, s.model()), a.sum(), Counts::plus);
    });
    return byName;
  }

  /** Prometheus series of this node's totals since it started, labelled by key name. */
  public void renderPrometheus(StringBuilder sb, KeyRing ring) {
    Map<String, Counts> byLabel = new TreeMap<>();
    totals.forEach((s, a) -> {
      String name = s.keyId().equals(ADMIN) ? ADMIN : ring.nameOf(s.keyId());
      byLabel.merge("key=\"" + escape(name) + "\",model=\"" + escape(s.model()) + "\"", a.sum(), Counts::plus);
    });
    family(sb, "otela_key_requests_total", "Requests answered under each API key by this node, by model.", byLabel,
        Counts::requests, "");
    family(sb, "otela_key_errors_total", "Requests under each API key answered with an error (4xx, 5xx, a broken"
        + " stream).", byLabel, Counts::errors, "");
    sb.append("# HELP otela_key_tokens_total Tokens used under each API key, as the responses' usage reports them.\n");
    sb.append("# TYPE otela_key_tokens_total counter\n");
    byLabel.forEach((labels, c) -> {
      sb.append("otela_key_tokens_total{").append(labels).append(",type=\"prompt\"} ").append(c.prompt()).append('\n');
      sb.append("otela_key_tokens_total{").append(labels).append(",type=\"completion\"} ").append(c.completion())
          .append('\n');
    });
  }

  private static void family(StringBuilder sb, String name, String help, Map<String, Counts> byLabel,
      java.util.function.ToLongFunction<Counts> value, String extra) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(" counter\n");
    byLabel.forEach((labels, c) -> sb.append(name).append('{').append(labels).append(extra).append("} ")
        .append(value.applyAsLong(c)).append('\n'));
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
