package org.opentela.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentela.Json;
import org.opentela.Version;
import org.opentela.identity.NodeIdentity;
import org.opentela.platform.Hardware;

class NodeRecordTest {

  @Test
  void toBuilderCopiesEveryField() throws Exception {
    // Each component gets a value unlike the builder's default, so a field that toBuilder() forgets fails here.
    NodeRecord node = distinctValues(NodeRecord.class);
    assertEquals(node, node.toBuilder().build());
    ServiceRecord service = distinctValues(ServiceRecord.class);
    assertEquals(service, service.toBuilder().build());
  }

  @Test
  void withCopiesChangeOnlyTheirField() throws Exception {
    NodeRecord node = distinctValues(NodeRecord.class);
    NodeRecord draining = node.withStatus("draining");
    assertEquals("draining", draining.status());
    assertEquals(node, draining.withStatus(node.status()));
    NodeRecord moved = node.withClusterMember("pekko://otela@10.0.0.9:43905", 99);
    assertEquals("pekko://otela@10.0.0.9:43905", moved.clusterAddress());
    assertEquals(99, moved.clusterUid());
    assertEquals(node, moved.withClusterMember(node.clusterAddress(), node.clusterUid()));
    assertEquals(node.withLastSeen(5).toBuilder().lastSeen(node.lastSeen()).build(), node);
  }

  @Test
  void aNodesFirstRecordSaysWhoItIsAndHowToReachIt() {
    NodeIdentity id = NodeIdentity.fromSeed(3);
    NodeRecord r = NodeRecord.initial(id, "worker", "10.0.0.5", Hardware.NONE, 8093);
    assertEquals(NodeRecord.builder(id.peerId()).owner(id.owner()).role(List.of("worker")).version(Version.CURRENT)
        .publicAddress("10.0.0.5").hardware(Hardware.NONE).apiPort(8093).build(), r);
    assertEquals(List.of(), r.service());
    assertEquals("", r.status());
    assertEquals("", r.clusterAddress());
  }

  @Test
  void servicesAreReplacedByNameAndTheNodeLoadIsTheFirstServicesLoad() {
    Load busy = new Load(3, 1, 0.5, 1);
    NodeRecord r = NodeRecord.builder("a").build()
        .withService(ServiceRecord.builder("embed").build())
        .withService(ServiceRecord.builder("llm").load(busy).build());
    assertEquals(busy, r.load());
    NodeRecord unhealthy = r.withService(ServiceRecord.builder("llm").status(ServiceRecord.UNHEALTHY).build());
    assertEquals(List.of("embed", "llm"), unhealthy.service().stream().map(ServiceRecord::name).toList());
    assertEquals(null, unhealthy.load());
    assertEquals(List.of("embed"), r.withoutService("llm").service().stream().map(ServiceRecord::name).toList());
  }

  @Test
  void jsonHasTheComponentsAndNothingElse() throws Exception {
    NodeRecord node = distinctValues(NodeRecord.class);
    JsonNode json = Json.MAPPER.valueToTree(node);
    List<String> fields = new ArrayList<>();
    json.fieldNames().forEachRemaining(fields::add);
    List<String> components = new ArrayList<>();
    for (RecordComponent c : NodeRecord.class.getRecordComponents()) {
      components.add(c.getName().replaceAll("([A-Z])", "_$1").toLowerCase());
    }
    assertEquals(components.stream().sorted().toList(), fields.stream().sorted().toList());
    assertEquals(node, Json.MAPPER.treeToValue(json, NodeRecord.class));
  }

  /** A record whose every component differs from the builders' defaults. */
  @SuppressWarnings("unchecked")
  static <T extends Record> T distinctValues(Class<T> type) throws Exception {
    RecordComponent[] components = type.getRecordComponents();
    Object[] values = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
      values[i] = valueFor(components[i], i + 1);
    }
    Constructor<T> canonical = type.getDeclaredConstructor(types);
    return canonical.newInstance(values);
  }

  private static Object valueFor(RecordComponent c, int n) throws Exception {
    Class<?> t = c.getType();
    if (t == String.class) {
      return c.getName() + "-" + n;
    } else if (t == long.class) {
      return (long) n * 1000;
    } else if (t == int.class) {
      return n * 100;
    } else if (t == Integer.class) {
      return n;
    } else if (t == Hardware.class) {
      return new Hardware(List.of(), n, n, n);
    } else if (t == Load.class) {
      return new Load(n, n, 0.5, n);
    } else if (t == List.class) {
      Class<?> element = (Class<?>) ((ParameterizedType) c.getGenericType()).getActualTypeArguments()[0];
      return List.of(element == String.class ? c.getName() + "-" + n : distinctValues((Class<Record>) element));
    }
    throw new AssertionError("no test value for " + c + ": add one here");
  }

  @Test
  void theTestValuesDifferFromTheBuildersDefaultsInEveryFieldButTheKey() throws Exception {
    NodeRecord node = distinctValues(NodeRecord.class);
    assertAllDiffer(NodeRecord.builder(node.id()).build(), node);
    ServiceRecord service = distinctValues(ServiceRecord.class);
    assertAllDiffer(ServiceRecord.builder(service.name()).build(), service);
  }

  private static void assertAllDiffer(Record defaults, Record values) throws Exception {
    RecordComponent[] components = defaults.getClass().getRecordComponents();
    for (int i = 1; i < components.length; i++) {
      var accessor = components[i].getAccessor();
      assertNotEquals(accessor.invoke(defaults), accessor.invoke(values), components[i].getName());
    }
  }
}
