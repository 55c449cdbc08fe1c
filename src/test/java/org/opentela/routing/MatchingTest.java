package org.opentela.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.ServiceRecord;
import org.opentela.testing.Records;

class MatchingTest {

  private static MatchFields json(String s) throws MatchFields.MalformedJson {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return MatchFields.ofJson(b, 0, b.length);
  }

  @Test
  void readsOnlyTopLevelFieldsAndSkipsNestedOnes() throws Exception {
    MatchFields f = json("{\"messages\":[{\"role\":\"user\",\"model\":\"nested\"}],\"model\":\"Qwen/Qwen3-8B\","
        + "\"stream\":true,\"temperature\":0.2,\"meta\":{\"model\":\"x\"},\"user\":null}");
    assertEquals(Map.of("model", "Qwen/Qwen3-8B"), f.strings());
    assertEquals(Set.of("messages", "model", "stream", "temperature", "meta", "user"), f.present());
  }

  @Test
  void emptyBodyHasNoFieldsAndBadBodiesSayWhy() throws Exception {
    assertEquals(MatchFields.NONE, json(""));
    assertEquals(MatchFields.NONE, json("   "));
    assertTrue(assertThrows(MatchFields.MalformedJson.class, () -> json("[1]")).getMessage().contains("JSON object"));
    assertTrue(assertThrows(MatchFields.MalformedJson.class, () -> json("{\"model\":")).getMessage()
        .startsWith("the request body is not valid JSON"));
    assertTrue(assertThrows(MatchFields.MalformedJson.class, () -> json("{} {}")).getMessage().contains("trailing"));
  }

  @Test
  void headerGivesOneField() {
    assertEquals(Map.of("model", "a=b"), MatchFields.ofHeader("model=a=b").strings());
    assertEquals(MatchFields.NONE, MatchFields.ofHeader("garbage"));
  }

  private static NodeRecord node(String id, String status, ServiceRecord... services) {
    return Records.worker(id).status(status).service(List.of(services)).build();
  }

  private static ServiceRecord llm(String status, String... groups) {
    return Records.llm(groups).status(status).build();
  }

  private static ProviderIndex index(Set<String> connected, NodeRecord... records) {
    Map<String, NodeRecord> m = new java.util.HashMap<>();
    for (NodeRecord r : records) {
      m.put(r.id(), r);
    }
    NodeTable t = new NodeTable(1, "self", m, connected);
    return ProviderIndex.build(t, r -> new Provider(r.id(), null, 0, false));
  }

  private static List<String> ids(List<Provider> ps) {
    List<String> out = new ArrayList<>();
    ps.forEach(p -> out.add(p.peerId()));
    return out;
  }

  @Test
  void exactMatchWinsAndTiersNeedTheFallbackHeader() {
    ProviderIndex idx = index(Set.of("a", "b", "c", "d"),
        node("a", "", llm(ServiceRecord.CONNECTED, "model=m1")),
        node("b", "", llm(ServiceRecord.CONNECTED, "model=*")),
        node("c", "", llm(ServiceRecord.CONNECTED, "all")),
        node("d", "", llm(ServiceRecord.CONNECTED, "model=m1", "all")));
    ProviderIndex.ServiceProviders llm = idx.service("llm");
    MatchFields m1 = new MatchFields(Map.of("model", "m1"), Set.of("model"));
    MatchFields m2 = new MatchFields(Map.of("model", "m2"), Set.of("model"));
    MatchFields none = MatchFields.NONE;
    assertEquals(List.of("a", "d"), sorted(llm.candidates(m1, 2)), "the exact tier is used when it has providers");
    assertEquals(List.of(), llm.candidates(m2, 0));
    assertEquals(List.of("b"), ids(llm.candidates(m2, 1)), "wildcard: key present, any value");
    assertEquals(List.of("b"), ids(llm.candidates(m2, 2)), "the wildcard tier comes before the catch-all");
    assertEquals(List.of(), llm.candidates(none, 1), "no model field: the wildcard does not match");
    assertEquals(List.of("c", "d"), sorted(llm.candidates(none, 2)));
    assertEquals(List.of("m1"), List.copyOf(llm.models()));
  }

  @Test
  void numericFieldsMatchOnlyWildcards() {
    ProviderIndex idx = index(Set.of("a", "b"),
        node("a", "", llm(ServiceRecord.CONNECTED, "n=1")),
        node("b", "", llm(ServiceRecord.CONNECTED, "n=*")));
    MatchFields numeric = new MatchFields(Map.of(), Set.of("n")); // {"n": 1}
    assertEquals(List.of(), idx.service("llm").candidates(numeric, 0));
    assertEquals(List.of("b"), ids(idx.service("llm").candidates(numeric, 1)));
  }

  @Test
  void onlyConnectedNodesWithRoutableServicesAndNoDrainAreProviders() {
    ProviderIndex idx = index(Set.of("a", "b", "c"),
        node("a", "", llm(ServiceRecord.CONNECTED, "model=m")),
        node("b", "", llm(ServiceRecord.UNHEALTHY, "model=m")),
        node("c", "draining", llm(ServiceRecord.CONNECTED, "model=m")),
        node("d", "", llm(ServiceRecord.CONNECTED, "model=m")));
    MatchFields m = new MatchFields(Map.of("model", "m"), Set.of("model"));
    assertEquals(List.of("a"), ids(idx.service("llm").candidates(m, 0)));
    assertTrue(idx.peer("c") != null, "a draining node still answers pinned requests");
    assertNull(idx.peer("d"), "not connected");
    assertNull(idx.service("embeddings"));
    assertEquals(Set.of("llm"), idx.services());
  }

  @Test
  void malformedAndDuplicateGroupsAreIgnored() {
    ProviderIndex idx = index(Set.of("a"),
        node("a", "", llm(ServiceRecord.CONNECTED, "model", "=x", "model=", "model=m", "model=m")));
    MatchFields m = new MatchFields(Map.of("model", "m"), Set.of("model"));
    assertEquals(List.of("a"), ids(idx.service("llm").candidates(m, 2)));
    assertEquals(List.of(), idx.service("llm").candidates(new MatchFields(Map.of("model", ""), Set.of("model")), 0));
  }

  @Test
  void providersMatchingSeveralFieldsAppearOnce() {
    ProviderIndex idx = index(Set.of("a"),
        node("a", "", llm(ServiceRecord.CONNECTED, "model=m", "region=eu")));
    MatchFields both = new MatchFields(Map.of("model", "m", "region", "eu"), Set.of("model", "region"));
    assertEquals(List.of("a"), ids(idx.service("llm").candidates(both, 0)));
  }

  private static List<String> sorted(List<Provider> ps) {
    List<String> out = ids(ps);
    out.sort(null);
    return out;
  }
}
