package org.opentela.sim;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.opentela.config.ConfigReader;
import org.opentela.config.UsageException;

/**
 * Settings of {@code otela llm-sim}, read once from {@code otela.llm-sim} (documented in reference.conf).
 * Embedders start from {@link #defaults()} and change what they need with the {@code with...} methods.
 *
 * @param host interface to listen on
 * @param port TCP port; 0 means any free port
 * @param models served model names: non-empty, distinct; each gets its own simulated engine
 * @param ttftMs time to first token of a request running alone, in ms
 * @param itlMs delay between two tokens of a request running alone, in ms
 * @param maxTokens length of the simulated answer, in tokens
 * @param failRate fraction (0..1) of valid requests answered 500
 * @param maxNumSeqs requests one model generates at once; more wait
 * @param maxModelLen context length in tokens (prompt plus completion)
 * @param prefillMsPer1k time to first token added per 1,000 prompt tokens not found in the prefix cache, in ms
 * @param kvCacheTokens each engine's KV capacity for its prefix cache, in tokens; 0 disables prefix caching
 */
public record SimSettings(
    String host,
    int port,
    List<String> models,
    int ttftMs,
    int itlMs,
    int maxTokens,
    double failRate,
    int maxNumSeqs,
    int maxModelLen,
    int prefillMsPer1k,
    int kvCacheTokens) {

  static final String PREFIX = "otela.llm-sim.";
  /** One hour: any longer latency is a typo, not a simulation. */
  static final int MAX_DELAY_MS = 3_600_000;

  public SimSettings {
    requireNonNull(host, "host");
    requireNonNull(models, "models");
    models = List.copyOf(models);
    check(!host.isBlank(), "host: '" + host + "' (expected: an interface name or address)");
    check(port >= 0 && port <= 65535, "port: " + port + " (expected: 0..65535)");
    check(!models.isEmpty(), "models: [] (expected: at least one model name)");
    Set<String> seen = new HashSet<>();
    for (String m : models) {
      check(!m.isBlank(), "models: '" + m + "' (expected: a non-blank model name)");
      check(seen.add(m), "models: '" + m + "' given twice (expected: distinct model names)");
    }
    check(ttftMs >= 0 && ttftMs <= MAX_DELAY_MS, "ttftMs: " + ttftMs + " (expected: 0.." + MAX_DELAY_MS + ")");
    check(itlMs >= 0 && itlMs <= MAX_DELAY_MS, "itlMs: " + itlMs + " (expected: 0.." + MAX_DELAY_MS + ")");
    check(maxTokens >= 1, "maxTokens: " + maxTokens + " (expected: >= 1)");
    check(failRate >= 0 && failRate <= 1, "failRate: " + failRate + " (expected: 0..1)");
    check(maxNumSeqs >= 1, "maxNumSeqs: " + maxNumSeqs + " (expected: >= 1)");
    check(maxModelLen >= 2, "maxModelLen: " + maxModelLen + " (expected: >= 2)");
    check(prefillMsPer1k >= 0 && prefillMsPer1k <= MAX_DELAY_MS, "prefillMsPer1k: " + prefillMsPer1k
        + " (expected: 0.." + MAX_DELAY_MS + ")");
    check(kvCacheTokens >= 0, "kvCacheTokens: " + kvCacheTokens + " (expected: >= 0)");
  }

  /** Reads and validates {@code otela.llm-sim}; a bad value throws {@link UsageException} naming the flag. */
  public static SimSettings fromConfig(Config config) {
    ConfigReader r = new ConfigReader(config);
    List<String> models = r.list(PREFIX + "model");
    if (models.isEmpty()) {
      throw UsageException.badValue(PREFIX + "model", "", "at least one model name, e.g. --model sim-model");
    }
    if (Set.copyOf(models).size() != models.size()) {
      throw UsageException.badValue(PREFIX + "model", String.join(",", models), "distinct model names");
    }
    String host = r.string(PREFIX + "host");
    if (host.isEmpty()) {
      throw UsageException.badValue(PREFIX + "host", host, "an interface name or address, e.g. 127.0.0.1");
    }
    return new SimSettings(
        host,
        r.port(PREFIX + "port"),
        models,
        r.intInRange(PREFIX + "ttft-ms", 0, MAX_DELAY_MS),
        r.intInRange(PREFIX + "itl-ms", 0, MAX_DELAY_MS),
        r.intInRange(PREFIX + "max-tokens", 1, Integer.MAX_VALUE),
        r.doubleInRange(PREFIX + "fail-rate", 0, 1),
        r.intInRange(PREFIX + "max-num-seqs", 1, Integer.MAX_VALUE),
        r.intInRange(PREFIX + "max-model-len", 2, Integer.MAX_VALUE),
        r.intInRange(PREFIX + "prefill-ms-per-1k", 0, MAX_DELAY_MS),
        r.intInRange(PREFIX + "kv-cache-tokens", 0, Integer.MAX_VALUE));
  }

  /** The documented defaults of reference.conf. */
  public static SimSettings defaults() {
    return fromConfig(ConfigFactory.defaultReference());
  }

  public SimSettings withHost(String host) {
    return new SimSettings(host, port, models, ttftMs, itlMs, maxTokens, failRate, maxNumSeqs, maxModelLen,
        prefillMsPer1k, kvCacheTokens);
  }

  public SimSettings withPort(int port) {
    return new SimSettings(host, port, models, ttftMs, itlMs, maxTokens, failRate, maxNumSeqs, maxModelLen,
        prefillMsPer1k, kvCacheTokens);
  }

  public SimSettings withModels(String... models) {
    return new SimSettings(host, port, List.of(models), ttftMs, itlMs, maxTokens, failRate, maxNumSeqs,
        maxModelLen, prefillMsPer1k, kvCacheTokens);
  }

  /** Time to first token and inter-token delay of a request running alone, in ms. */
  public SimSettings withLatency(int ttftMs, int itlMs) {
    return new SimSettings(host, port, models, ttftMs, itlMs, maxTokens, failRate, maxNumSeqs, maxModelLen,
        prefillMsPer1k, kvCacheTokens);
  }

  public SimSettings withMaxTokens(int maxTokens) {
    return new SimSettings(host, port, models, ttftMs, itlMs, maxTokens, failRate, maxNumSeqs, maxModelLen,
        prefillMsPer1k, kvCacheTokens);
  }

  public SimSettings withFailRate(double failRate) {
    return new SimSettings(host, port, models, ttftMs, itlMs, maxTokens, failRate, maxNumSeqs, maxModelLen,
        prefillMsPer1k, kvCacheTokens);
  }

  public SimSettings withMaxNumSeqs(int maxNumSeqs) {
    return new SimSettings(host, port, models, ttftMs, itlMs, maxTokens, failRate, maxNumSeqs, maxModelLen,
        prefillMsPer1k, kvCacheTokens);
  }

  public SimSettings withMaxModelLen(int maxModelLen) {
    return new SimSettings(host, port, models, ttftMs, itlMs, maxTokens, failRate, maxNumSeqs, maxModelLen,
        prefillMsPer1k, kvCacheTokens);
  }

  /**
   * Prefix caching: each engine keeps {@code kvCacheTokens} tokens of prompt blocks (0: none), and every
   * 1,000 prompt tokens it must compute add {@code prefillMsPer1k} ms to the time to first token.
   */
  public SimSettings withPrefixCache(int kvCacheTokens, int prefillMsPer1k) {
    return new SimSettings(host, port, models, ttftMs, itlMs, maxTokens, failRate, maxNumSeqs, maxModelLen,
        prefillMsPer1k, kvCacheTokens);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
