package org.opentela.table;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An immutable snapshot of the node table as this node sees it: the replicated records plus this node's
 * own view of which nodes are connected (cluster member Up and reachable). Swapped whole on each change;
 * {@code version} grows with every snapshot a keeper publishes.
 */
public final class NodeTable {
  private final long version;
  private final String selfId;
  private final Map<String, NodeRecord> records;
  private final Set<String> connected;
  private final Map<String, String> rejected;

  public NodeTable(long version, String selfId, Map<String, NodeRecord> records, Set<String> connected) {
    this(version, selfId, records, connected, Map.of());
  }

  /** {@code rejected}: peer ids whose replicated record failed its signature check, and why. */
  public NodeTable(long version, String selfId, Map<String, NodeRecord> records, Set<String> connected,
      Map<String, String> rejected) {
    this.version = version;
    this.selfId = selfId;
    this.records = Collections.unmodifiableMap(new TreeMap<>(records));
    this.connected = Set.copyOf(connected);
    this.rejected = Collections.unmodifiableMap(new TreeMap<>(rejected));
  }

  public static NodeTable empty(String selfId) {
    return new NodeTable(0, selfId, Map.of(), Set.of());
  }

  public long version() {
    return version;
  }

  public String selfId() {
    return selfId;
  }

  /** Records by peer id, sorted by peer id. */
  public Map<String, NodeRecord> records() {
    return records;
  }

  public NodeRecord get(String peerId) {
    return records.get(peerId);
  }

  /** This node's view: true if the node is an Up, reachable cluster member (always true for itself). */
  public boolean isConnected(String peerId) {
    return connected.contains(peerId);
  }

  public Set<String> connectedPeers() {
    return connected;
  }

  /**
   * Peer ids whose latest replicated record was rejected (forged by another node, or broken), with the
   * reason. Such a record is never routed to; a valid earlier record of the same peer id may still be in
   * {@link #records()}.
   */
  public Map<String, String> rejected() {
    return rejected;
  }

  @Override
  public String toString() {
    return "NodeTable(v" + version + ", " + records.size() + " records, connected " + connected + ")";
  }
}
