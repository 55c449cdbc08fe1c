package org.opentela.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.opentela.config.UsageException;
import org.opentela.http.PoolView;
import org.opentela.platform.Gpu;
import org.opentela.platform.Hardware;
import org.opentela.table.Load;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.telemetry.PoolHistory;
import org.opentela.testing.Records;

class StatusTablesTest {
  static final long NOW = 1_700_000_100_000L;

  static PoolView pool() {
    NodeRecord head = NodeRecord.builder("head").role(List.of("head")).clusterAddress("a").clusterUid(1)
        .publicAddress("10.0.0.1").apiPort(8092).version("0.1.0").lastSeen(NOW / 1000 - 3).build();
    NodeRecord w1 = Records.worker("w1").version("0.1.0").publicAddress("10.0.0.2").apiPort(8092)
        .hardware(new Hardware(List.of(new Gpu("NVIDIA H100", 81920, 40960)), 65536, 0, 32768))
        .service(Records.llm("model=Qwen/Qwen3-8B").load(new Load(3, 1, 0.42, NOW)).build()).build();
    NodeRecord w2 = Records.worker("w2").version("0.1.0").status("draining")
        .service(Records.llm("model=Qwen/Qwen3-8B").build()).build();
    NodeRecord w3 = Records.worker("w3").version("0.0.9").service(Records.llm("model=other").build()).build();
    NodeTable t = new NodeTable(1, "head", Map.of("head", head, "w1", w1, "w2", w2, "w3", w3),
        Set.of("head", "w1", "w2"));
    NodeRecord gone = Records.worker("w4").version("0.1.0").build();
    return PoolView.of(t, Map.of("w4", new PoolHistory.GoneNode(gone, true, NOW - 60_000)), Map.of("w1", 2), null, NOW);
  }

  @Test
  void thePoolViewGivesEachNodeAndProviderItsStatus() {
    PoolView p = pool();
    Map<String, String> status = new java.util.HashMap<>();
    p.nodes().forEach(n -> status.put(n.id(), n.status()));
    assertEquals(Map.of("head", "up", "w1", "up", "w2", "draining", "w3", "unreachable", "w4", "left"), status);
    assertEquals("head", p.nodes().get(0).id(), "heads first");
    assertEquals("w4", p.nodes().get(p.nodes().size() - 1).id(), "nodes that left last");
    PoolView.ModelRow qwen = p.models().stream().filter(m -> "Qwen/Qwen3-8B".equals(m.model())).findFirst().orElseThrow();
    assertEquals(List.of("w1", "w2"), qwen.providers().stream().map(PoolView.ProviderRow::id).toList());
    assertEquals(2, qwen.providers().get(0).inFlight());
    assertEquals("draining", qwen.providers().get(1).status());
  }

  @Test
  void rendersNodesModelsAndWorkersAsAlignedTables() {
    String out = StatusTables.render(pool(), "http://10.0.0.1:8092");
    assertTrue(out.startsWith("Pool as http://10.0.0.1:8092 (head, otela "), out);
    assertTrue(out.contains(": 4 nodes, 2 up; 2 models"), out);
    List<String> lines = out.lines().toList();
    String header = lines.stream().filter(l -> l.startsWith("NODE")).findFirst().orElseThrow();
    String w1 = lines.stream().filter(l -> l.startsWith("w1 ")).findFirst().orElseThrow();
    assertEquals(header.indexOf("STATUS"), w1.indexOf("up"), "columns line up:\n" + out);
    assertTrue(w1.contains("1x H100 40.0/80.0 GiB"), w1);
    assertTrue(w1.contains("10.0.0.2:8092"), w1);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("w3 ") && l.contains("unreachable") && l.contains("0.0.9")), out);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("w4 ") && l.contains("left (gone 60s)")), out);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("llm") && l.contains("Qwen/Qwen3-8B") && l.contains("1/2 up")),
        out);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("Qwen/Qwen3-8B") && l.matches(".*w1\\s+up\\s+3\\s+1\\s+42%\\s+2")),
        out);
  }

  @Test
  void theHeadIsAUrlOrHostAndPort() {
    assertEquals("http://10.0.0.1:8092", StatusCommand.Settings.headUrl("10.0.0.1:8092").toString());
    assertEquals("https://h:1", StatusCommand.Settings.headUrl("https://h:1/").toString());
    UsageException e = assertThrows(UsageException.class, () -> StatusCommand.Settings.headUrl("ftp://h"));
    assertTrue(e.getMessage().contains("--head"), e.getMessage());
  }
}
