package org.opentela.table;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;

/**
 * This node's view of the cluster members, as the table needs it: which record belongs to a current
 * member (address and incarnation), and which of those is connected (serving and reachable). Fed with
 * membership and reachability events; owned by one {@link TableKeeper}, not thread-safe.
 */
final class Membership {
  private record Member(UniqueAddress address, MemberStatus status) {}

  /** Current members by address: one incarnation per address at a time. */
  private final Map<String, Member> members = new HashMap<>();
  private final Set<UniqueAddress> unreachable = new HashSet<>();

  /** A member's status changed; {@link MemberStatus#removed()} ends its membership. */
  void changed(UniqueAddress member, MemberStatus status) {
    String address = member.address().toString();
    if (status == MemberStatus.removed()) {
      Member known = members.get(address);
      if (known != null && known.address().equals(member)) {
        members.remove(address);
      }
      unreachable.remove(member);
    } else {
      members.put(address, new Member(member, status));
    }
  }

  /** The number of current members, whatever their status. */
  int size() {
    return members.size();
  }

  void reachability(UniqueAddress member, boolean reachable) {
    if (reachable) {
      unreachable.remove(member);
    } else {
      unreachable.add(member);
    }
  }

  /** True if {@code self} is an Up member: a full member, whose writes reach every node. */
  boolean isUp(UniqueAddress self) {
    Member m = members.get(self.address().toString());
    return m != null && m.address().equals(self) && m.status() == MemberStatus.up();
  }

  /** True if the record's node is the current member at its cluster address (the same incarnation). */
  boolean isMember(NodeRecord r) {
    return memberOf(r) != null;
  }

  /** True if the record's node is a current member that serves (Up, WeaklyUp or Leaving) and is reachable. */
  boolean isConnected(NodeRecord r) {
    Member m = memberOf(r);
    return m != null && !unreachable.contains(m.address()) && isServing(m.status());
  }

  /** The records of nodes that are not current members and were last seen more than {@code maxAge} ago. */
  List<NodeRecord> stale(Collection<NodeRecord> records, long nowSeconds, Duration maxAge) {
    List<NodeRecord> out = new ArrayList<>();
    for (NodeRecord r : records) {
      if (!isMember(r) && nowSeconds - r.lastSeen() > maxAge.toSeconds()) {
        out.add(r);
      }
    }
    return out;
  }

  /** The records that belong to the incarnation {@code member}. */
  static List<NodeRecord> recordsOf(Collection<NodeRecord> records, UniqueAddress member) {
    List<NodeRecord> out = new ArrayList<>();
    for (NodeRecord r : records) {
      if (r.clusterUid() == member.longUid() && r.clusterAddress().equals(member.address().toString())) {
        out.add(r);
      }
    }
    return out;
  }

  private Member memberOf(NodeRecord r) {
    Member m = members.get(r.clusterAddress());
    return m != null && m.address().longUid() == r.clusterUid() ? m : null;
  }

  private static boolean isServing(MemberStatus s) {
    return s == MemberStatus.up() || s == MemberStatus.weaklyUp() || s == MemberStatus.leaving();
  }
}
