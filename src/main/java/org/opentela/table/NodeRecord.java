package org.opentela.table;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.ArrayList;
import java.util.List;
import org.opentela.CborSerializable;
import org.opentela.Version;
import org.opentela.identity.NodeIdentity;
import org.opentela.platform.Hardware;

/**
 * One node's row in the replicated table, written only by that node. {@code lastSeen} is unix seconds.
 * {@code clusterAddress} and {@code clusterUid} tie the row to one incarnation of a cluster member, so
 * rows of removed members can be pruned and {@code connected} computed locally; {@code apiPort} is the
 * node's HTTP API port. {@code status} is "" normally, "draining" while a node stops.
 *
 * <p>Built with {@link #builder} (or {@link #initial} for a node's first record) and changed with the
 * {@code with…} copies, which all go through {@link #toBuilder()}: a new field is added here only, to the
 * components and the {@link Builder}.
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

  /**
   * A node's first record: who it is, its role, where clients and the table page reach it. The table keeper
   * adds the cluster member it runs in and {@code last_seen}; services come later.
   */
  public static NodeRecord initial(NodeIdentity identity, String role, String publicAddress, Hardware hardware,
      int apiPort) {
    return builder(identity.peerId()).owner(identity.owner()).role(List.of(role)).version(Version.CURRENT)
        .publicAddress(publicAddress).hardware(hardware).apiPort(apiPort).build();
  }

  /** A record of peer {@code id} with every other field empty (no services, unknown hardware, no load). */
  public static Builder builder(String id) {
    return new Builder(id);
  }

  /** A builder holding this record's fields. */
  public Builder toBuilder() {
    return new Builder(id).owner(owner).role(role).status(status).service(service).lastSeen(lastSeen)
        .version(version).publicAddress(publicAddress).hardware(hardware).load(load).clusterAddress(clusterAddress)
        .clusterUid(clusterUid).apiPort(apiPort);
  }

  public NodeRecord withLastSeen(long seconds) {
    return toBuilder().lastSeen(seconds).build();
  }

  public NodeRecord withHardware(Hardware hw) {
    return toBuilder().hardware(hw).build();
  }

  public NodeRecord withStatus(String newStatus) {
    return toBuilder().status(newStatus).build();
  }

  /** This record tied to the cluster member at {@code address} with unique id {@code uid}. */
  public NodeRecord withClusterMember(String address, long uid) {
    return toBuilder().clusterAddress(address).clusterUid(uid).build();
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

  /** The node's load is its first service's that reports one. */
  private NodeRecord withServices(List<ServiceRecord> next) {
    Load nodeLoad = null;
    for (ServiceRecord s : next) {
      if (s.load() != null) {
        nodeLoad = s.load();
        break;
      }
    }
    return toBuilder().service(next).load(nodeLoad).build();
  }

  public ServiceRecord findService(String name) {
    for (ServiceRecord s : service) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    return null;
  }

  /** Builds a {@link NodeRecord}; every field but the peer id has an empty default. */
  public static final class Builder {
    private final String id;
    private String owner = "";
    private List<String> role = List.of();
    private String status = "";
    private List<ServiceRecord> service = List.of();
    private long lastSeen;
    private String version = "";
    private String publicAddress = "";
    private Hardware hardware = Hardware.UNKNOWN;
    private Load load;
    private String clusterAddress = "";
    private long clusterUid;
    private int apiPort;

    private Builder(String id) {
      this.id = id;
    }

    /** Base64 of the node's raw Ed25519 public key. */
    public Builder owner(String owner) {
      this.owner = owner;
      return this;
    }

    public Builder role(List<String> role) {
      this.role = role;
      return this;
    }

    public Builder status(String status) {
      this.status = status;
      return this;
    }

    public Builder service(List<ServiceRecord> service) {
      this.service = service;
      return this;
    }

    /** Adds one service (after those set before). */
    public Builder service(ServiceRecord s) {
      List<ServiceRecord> next = new ArrayList<>(service);
      next.add(s);
      this.service = next;
      return this;
    }

    /** Unix seconds. */
    public Builder lastSeen(long lastSeen) {
      this.lastSeen = lastSeen;
      return this;
    }

    public Builder version(String version) {
      this.version = version;
      return this;
    }

    public Builder publicAddress(String publicAddress) {
      this.publicAddress = publicAddress;
      return this;
    }

    public Builder hardware(Hardware hardware) {
      this.hardware = hardware;
      return this;
    }

    public Builder load(Load load) {
      this.load = load;
      return this;
    }

    public Builder clusterAddress(String clusterAddress) {
      this.clusterAddress = clusterAddress;
      return this;
    }

    public Builder clusterUid(long clusterUid) {
      this.clusterUid = clusterUid;
      return this;
    }

    public Builder apiPort(int apiPort) {
      this.apiPort = apiPort;
      return this;
    }

    public NodeRecord build() {
      return new NodeRecord(id, owner, role, status, service, lastSeen, version, publicAddress, hardware, load,
          clusterAddress, clusterUid, apiPort);
    }
  }
}
