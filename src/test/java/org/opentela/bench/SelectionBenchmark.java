package org.opentela.bench;

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
import org.opentela.routing.MatchFields;
import org.opentela.routing.Provider;
import org.opentela.routing.ProviderIndex;
import org.opentela.routing.Selection;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.ServiceRecord;
import org.opentela.testing.Records;

/**
 * The router's per-request work: {@code candidates(...)} then {@code pick(...)} among {@code providers}
 * connected workers of one service. {@code models} spreads them over that many models, so a request matches
 * {@code providers / models} of them. Run by {@code bench/run}; never part of the test suite.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SelectionBenchmark {
  @Param({"1000"})
  int providers;

  @Param({"1", "10"})
  int models;

  @Param({"LEAST_LOADED", "ROUND_ROBIN"})
  String policy;

  private ProviderIndex.ServiceProviders service;
  private MatchFields[] requests;
  private Selection selection;
  private final Map<String, Integer> inFlight = new HashMap<>();
  // As the router's: the attempt's tried set, and the cooldowns (empty when no worker failed lately).
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
      ServiceRecord llm = Records.llm("model=m" + (i % models)).build();
      records.put(id, Records.worker(id).service(llm).version("0.1.0").publicAddress("127.0.0.1")
          .clusterAddress("pekko://otela@127.0.0.1:" + (20000 + i)).clusterUid(i + 1).apiPort(8092).build());
      connected.add(id);
      inFlight.put(id, random.nextInt(4));
    }
    NodeTable table = new NodeTable(1, "QmBenchHead", records, Set.copyOf(connected));
    ProviderIndex index = ProviderIndex.build(table, r -> new Provider(r.id(), null, 0, false));
    service = index.service("llm");
    requests = new MatchFields[models];
    for (int m = 0; m < models; m++) {
      byte[] body = ("{\"model\":\"m" + m + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").getBytes();
      requests[m] = MatchFields.ofJson(body, 0, body.length);
    }
    selection = new Selection(Selection.Policy.valueOf(policy), new SplittableRandom(7));
  }

  @Benchmark
  public Provider candidatesAndPick() {
    MatchFields fields = requests[next++ % requests.length];
    return selection.pick(service.candidates(fields, 0), tried::contains, this::coolingDown,
        id -> inFlight.getOrDefault(id, 0));
  }

  private boolean coolingDown(String peerId) {
    Long until = cooldownUntil.get(peerId);
    return until != null && until > System.nanoTime();
  }
}
