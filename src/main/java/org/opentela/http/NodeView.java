package org.opentela.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.opentela.platform.Hardware;
import org.opentela.table.Load;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.ServiceRecord;

/**
 * One row of {@code GET /v1/dnt/table}, in the original's field order. {@code latency}, {@code privileged},
 * {@code current_offering} and {@code available_offering} are kept for compatibility and never populated;
 * {@code connected} is this node's own view. otela's extra fields follow; {@code record} says whether the
 * row's record passed its signature check ({@code "signed"}), or why the replicated record of that peer id
 * was rejected (a forged record is shown, never routed to).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"id", "latency", "privileged", "owner", "current_offering", "role", "status",
    "available_offering", "service", "last_seen", "version", "public_address", "hardware", "connected", "load",
    "cluster_address", "api_port", "record"})
@JsonInclude(JsonInclude.Include.ALWAYS)
record NodeView(
    String id,
    long latency,
    boolean privileged,
    String owner,
    Object currentOffering,
    List<String> role,
    String status,
    Object availableOffering,
    List<ServiceRecord> service,
    long lastSeen,
    String version,
    String publicAddress,
    Hardware hardware,
    boolean connected,
    Load load,
    String clusterAddress,
    int apiPort,
    String record) {

  static NodeView of(NodeRecord r, boolean connected, String record) {
    return new NodeView(r.id(), 0, false, r.owner(), null, r.role(), r.status(), null, r.service(), r.lastSeen(),
        r.version(), r.publicAddress(), r.hardware(), connected, r.load(), r.clusterAddress(), r.apiPort(), record);
  }

  /** A peer id with no valid record, only a rejected one: nothing of its content is shown. */
  static NodeView rejected(String id, String why) {
    return new NodeView(id, 0, false, "", null, List.of(), "", null, List.of(), 0, "", "", null, false, null, "", 0,
        "rejected: " + why);
  }

  /** The whole table: {@code {"/<peerId>": row, ...}}, sorted by peer id. */
  static Map<String, NodeView> table(NodeTable t) {
    Map<String, NodeView> out = new java.util.TreeMap<>();
    t.records().forEach((id, r) -> {
      String why = t.rejected().get(id);
      out.put("/" + id, of(r, t.isConnected(id), why == null ? "signed"
          : "signed (a later copy was rejected: " + why + ")"));
    });
    t.rejected().forEach((id, why) -> out.putIfAbsent("/" + id, rejected(id, why)));
    return new LinkedHashMap<>(out);
  }
}
