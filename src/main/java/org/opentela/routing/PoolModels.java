package org.opentela.routing;

import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.ServiceRecord;

/**
 * Whether a model exists in the pool at all, whatever the state of its workers: it decides between
 * "no such model" (404 {@code model_not_found}, a client's mistake that a retry does not fix) and "its
 * workers cannot take it now" (503 {@code model_not_available}, transient).
 */
final class PoolModels {
  private PoolModels() {}

  /** True if any node of {@code table}, reachable or not, registers {@code model} for {@code service}. */
  static boolean served(NodeTable table, String service, String model) {
    if (table == null) {
      return false;
    }
    String group = ProviderIndex.MODEL_KEY + "=" + model;
    for (NodeRecord r : table.records().values()) {
      for (ServiceRecord s : r.service()) {
        if (s.name().equals(service) && s.identityGroup().contains(group)) {
          return true;
        }
      }
    }
    return false;
  }
}
