package org.opentela.table;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.ArrayList;
import java.util.List;
import org.opentela.CborSerializable;
import org.opentela.platform.Hardware;

/**
 * One node's row in the replicated table, written only by that node. {@code lastSeen} is unix seconds.
 * {@code clusterAddress} and {@code clusterUid} tie the row to one incarnation of a cluster member, so
 * rows of removed members can be pruned and {@code connected} computed locally; {@code apiPort} is the
 * node's HTTP API port. {@code status} is "" normally, "draining" while a node stops.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record NodeRecord(
    String id,
    String owner,
    List<String> role,
    String status,
    List<ServiceRecord> service,
    long lastSeen,
    String version,
    String publicAddress,
    Hardware hardware,
    Load load,
    String clusterAddress,
    long clusterUid,
    int apiPort) implements CborSerializable {

  public NodeRecord {
    role = role == null ? List.of() : List.copyOf(role);
    service = service == null ? List.of() : List.copyOf(service);
  }

  public NodeRecord withLastSeen(long seconds) {
    return new NodeRecord(id, owner, role, status, service, seconds, version, publicAddress, hardware, load,
        clusterAddress, clusterUid, apiPort);
  }

  public NodeRecord withHardware(Hardware hw) {
    return new NodeRecord(id, owner, role, status, service, lastSeen, version, publicAddress, hw, load,
        clusterAddress, clusterUid, apiPort);
  }

  public NodeRecord withStatus(String newStatus) {
    return new NodeRecord(id, owner, role, newStatus, service, lastSeen, version, publicAddress, hardware, load,
        clusterAddress, clusterUid, apiPort);
  }

  /** This record with {@code s} added, or replacing the service of the same name. */
  public NodeRecord withService(ServiceRecord s) {
    List<ServiceRecord> next = new ArrayList<>();
    boolean replaced = false;
    for (ServiceRecord existing : service) {
      if (existing.name().equals(s.name())) {
        next.add(s);
        replaced = true;
      } else {
        next.add(existing);
      }
    }
    if (!replaced) {
      next.add(s);
    }
    return withServices(next);
  }

  public NodeRecord withoutService(String name) {
    List<ServiceRecord> next = new ArrayList<>(service);
    next.removeIf(s -> s.name().equals(name));
    return withServices(next);
  }

  private NodeRecord withServices(List<ServiceRecord> next) {
    Load nodeLoad = null;
    for (ServiceRecord s : next) {
      if (s.load() != null) {
        nodeLoad = s.load();
        break;
      }
    }
    return new NodeRecord(id, owner, role, status, next, lastSeen, version, publicAddress, hardware, nodeLoad,
        clusterAddress, clusterUid, apiPort);
  }

  public ServiceRecord findService(String name) {
    for (ServiceRecord s : service) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    return null;
  }
}
