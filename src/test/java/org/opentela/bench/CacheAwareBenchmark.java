package org.opentela.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.opentela.routing.Affinity;
import org.opentela.routing.CacheAwareSettings;
import org.opentela.routing.MatchFields;
import org.opentela.routing.Provider;
import org.opentela.routing.ProviderIndex;
import org.opentela.routing.Selection;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.ServiceRecord;

/**
 * The router's per-request work under {@code --lb-policy cache-aware}, among 1,000 connected workers of
 * one model: the request's affinity from its parsed fields and headers, {@code candidates(...)}, then
 * {@code pick(...)} (which also records the prompt in the prefix index). {@code affinity}:
 * <ul>
 *   <li>{@code session}: an X-Session-Id header (rendezvous hashing over all 1,000 workers);</li>
 *   <li>{@code prefix-hit}: turns of 1,000 conversations on a 2 KB system prompt, each 16 KiB long (the
 *       64-block maximum), whose previous turn was routed: the longest match is found and extended;</li>
 *   <li>{@code prefix-miss}: 4,096 distinct 16 KiB prompts in turn, more than the index keeps: every
 *       request probes all 64 blocks, finds nothing and writes 64 entries (the worst case).</li>
 * </ul>
 * Run by {@code bench/run}; never part of the test suite.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CacheAwareBenchmark {
  @Param({"1000"})
  int providers;

  @Param({"session", "prefix-hit", "prefix-miss"})
  String affinity;

  private ProviderIndex.ServiceProviders service;
  private Selection selection;
  private MatchFields[] requests;
  private List<List<String>> headers;
  private final Map<String, Integer> inFlight = new HashMap<>();
  private final Set<String> tried = new java.util.HashSet<>(4);
  private final Map<String, Long> cooldownUntil = new HashMap<>();
  private int next;

  @Setup
  public void setUp() throws Exception {
    Map<String, NodeRecord> records = new HashMap<>();
    List<String> connected = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < providers; i++) {
      String id = String.format("QmBenchPeer%06d", i);
      ServiceRecord llm = new ServiceRecord("llm", null, ServiceRecord.CONNECTED, "localhost", "8080",
          List.of("model=m"), 0, null, null, null);
      records.put(id, new NodeRecord(id, "", List.of("worker"), "", List.of(llm), 0, "0.1.0", "127.0.0.1", null,
          null, "pekko://otela@127.0.0.1:" + (20000 + i), i + 1, 8092));
      connected.add(id);
      inFlight.put(id, random.nextInt(4));
    }
    NodeTable table = new NodeTable(1, "QmBenchHead", records, Set.copyOf(connected));
    service = ProviderIndex.build(table, r -> new Provider(r.id(), null, 0, false)).service("llm");
    selection = new Selection(Selection.Policy.CACHE_AWARE, new SplittableRandom(7), CacheAwareSettings.DEFAULTS);
    int n = affinity.equals("prefix-miss") ? 4096 : 1000;
    requests = new MatchFields[n];
    headers = new ArrayList<>(n);
    String system = "You are the assistant of a benchmark; answer in full sentences. ".repeat(32); // ~2 KB
    for (int i = 0; i < n; i++) {
      String text;
      if (affinity.equals("session")) {
        text = "Hello";
        headers.add(List.of("X-Session-Id", "session-" + i, "Content-Type", "application/json"));
      } else {
        String start = affinity.equals("prefix-hit") ? system + " conversation " + i : "prompt " + i + " " + system;
        text = start + " turn text ".repeat(16 * 1024 / 11);
        headers.add(List.of("Content-Type", "application/json"));
      }
      byte[] body = ("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}")
          .getBytes(StandardCharsets.UTF_8);
      requests[i] = MatchFields.ofJson(body, 0, body.length, true);
    }
    for (int i = 0; i < n; i++) {
      candidatesAndPick(); // the conversations' earlier turns were routed
    }
  }

  @Benchmark
  public Provider candidatesAndPick() {
    int i = next++ % requests.length;
    MatchFields fields = requests[i];
    Affinity a = selection.affinity("llm", fields, headers.get(i));
    return selection.pick(service.candidates(fields, 0), tried::contains, this::coolingDown,
        id -> inFlight.getOrDefault(id, 0), a);
  }

  private boolean coolingDown(String peerId) {
    Long until = cooldownUntil.get(peerId);
    return until != null && until > System.nanoTime();
  }
}
