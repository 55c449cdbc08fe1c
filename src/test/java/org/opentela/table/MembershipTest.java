package org.opentela.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.junit.jupiter.api.Test;

class MembershipTest {
  private static final Address AT = new Address("pekko", "otela", "10.0.0.1", 43905);
  private static final UniqueAddress FIRST = new UniqueAddress(AT, 1);
  private static final UniqueAddress SECOND = new UniqueAddress(AT, 2);

  private static NodeRecord recordOf(String id, UniqueAddress member, long lastSeen) {
    return NodeRecord.builder(id).clusterAddress(member.address().toString()).clusterUid(member.longUid())
        .lastSeen(lastSeen).build();
  }

  @Test
  void aRecordIsConnectedWhileItsIncarnationServesAndIsReachable() {
    Membership m = new Membership();
    NodeRecord r = recordOf("a", FIRST, 0);
    assertFalse(m.isConnected(r), "not a member yet");
    m.changed(FIRST, MemberStatus.joining());
    assertTrue(m.isMember(r));
    assertFalse(m.isConnected(r), "joining does not serve");
    m.changed(FIRST, MemberStatus.up());
    assertTrue(m.isConnected(r));
    m.reachability(FIRST, false);
    assertFalse(m.isConnected(r));
    m.reachability(FIRST, true);
    assertTrue(m.isConnected(r));
    m.changed(FIRST, MemberStatus.leaving());
    assertTrue(m.isConnected(r), "a leaving member still finishes its requests");
    m.changed(FIRST, MemberStatus.exiting());
    assertFalse(m.isConnected(r));
  }

  @Test
  void aNewIncarnationAtTheSameAddressIsAnotherNode() {
    Membership m = new Membership();
    m.changed(FIRST, MemberStatus.up());
    m.changed(SECOND, MemberStatus.up());
    assertFalse(m.isMember(recordOf("old", FIRST, 0)));
    assertTrue(m.isConnected(recordOf("new", SECOND, 0)));
    m.changed(FIRST, MemberStatus.removed());
    assertTrue(m.isConnected(recordOf("new", SECOND, 0)), "removing the old incarnation keeps the new one");
    m.changed(SECOND, MemberStatus.removed());
    assertFalse(m.isMember(recordOf("new", SECOND, 0)));
  }

  @Test
  void onlyAnUpSelfIsUp() {
    Membership m = new Membership();
    assertFalse(m.isUp(FIRST));
    m.changed(FIRST, MemberStatus.weaklyUp());
    assertFalse(m.isUp(FIRST));
    m.changed(FIRST, MemberStatus.up());
    assertTrue(m.isUp(FIRST));
    assertFalse(m.isUp(SECOND), "another incarnation");
  }

  @Test
  void staleRecordsAreOldRecordsOfNonMembers() {
    Membership m = new Membership();
    m.changed(FIRST, MemberStatus.up());
    NodeRecord oldMember = recordOf("member", FIRST, 0);
    NodeRecord oldStranger = recordOf("stranger", SECOND, 0);
    NodeRecord recentStranger = recordOf("recent", SECOND, 95);
    assertEquals(List.of(oldStranger), m.stale(List.of(oldMember, oldStranger, recentStranger), 100,
        Duration.ofSeconds(30)));
    assertEquals(List.of(oldStranger, recentStranger),
        Membership.recordsOf(List.of(oldMember, oldStranger, recentStranger), SECOND));
  }
}
