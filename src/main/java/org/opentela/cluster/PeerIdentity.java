package org.opentela.cluster;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.opentela.CborSerializable;
import org.opentela.Version;
import org.opentela.identity.NodeIdentity;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.TableKeeper;

/**
 * Answers "who are you?" for a node that is about to join through this one: its peer id, public key
 * and a signature over the caller's nonce, so the caller can check it reached the peer id the user typed.
 * Refuses (with a reason the caller prints) a caller of another protocol version, or one whose peer id
 * is already a live member at another address. Runs on every node at {@code /user/}{@value #NAME}.
 */
public final class PeerIdentity {
  public static final String NAME = "otela-identity";

  private PeerIdentity() {}

  public sealed interface Command {}

  /** A joining node's question; {@code nonce} is random and must come back signed. */
  public record Hello(String callerPeerId, String callerVersion, String callerAddress, byte[] nonce,
      ActorRef<Reply> replyTo) implements Command, CborSerializable {}

  /**
   * The answer: who this node is, proven by {@code signature}; {@code refusal} is null when welcome.
   * {@code upMembers} is the size of this node's cluster as it sees it (0 while it is not Up itself);
   * {@code knowsCaller} says whether the caller's address is a member of that cluster.
   */
  public record Reply(String peerId, byte[] publicKey, byte[] signature, String version, String role, String refusal,
      int upMembers, boolean knowsCaller) implements CborSerializable {}

  private record TableUpdated(NodeTable table) implements Command {}

  public static Behavior<Command> create(NodeIdentity identity, String role, ActorRef<TableKeeper.Command> keeper) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(PeerIdentity.class);
      keeper.tell(new TableKeeper.Subscribe(ctx.messageAdapter(NodeTable.class, TableUpdated::new)));
      return running(ctx, identity, role, NodeTable.empty(identity.peerId()));
    });
  }

  private static Behavior<Command> running(ActorContext<Command> ctx, NodeIdentity identity, String role,
      NodeTable table) {
    return Behaviors.receive(Command.class)
        .onMessage(TableUpdated.class, m -> running(ctx, identity, role, m.table()))
        .onMessage(Hello.class, m -> onHello(ctx, identity, role, table, m))
        .build();
  }

  private static Behavior<Command> onHello(ActorContext<Command> ctx, NodeIdentity identity, String role,
      NodeTable table, Hello m) {
    String refusal = refusal(identity, table, m);
    if (refusal != null) {
      ctx.getLog().warn("Refused a node at {} (peer {}): {}", m.callerAddress(), m.callerPeerId(), refusal);
    }
    m.replyTo().tell(new Reply(identity.peerId(), identity.publicKey(), identity.sign(m.nonce()),
        Version.CURRENT, role, refusal, upMembers(ctx.getSystem()), isMember(ctx.getSystem(), m.callerAddress())));
    return Behaviors.same();
  }

  private static int upMembers(org.apache.pekko.actor.typed.ActorSystem<?> system) {
    Cluster cluster = Cluster.get(system);
    if (cluster.selfMember().status() != MemberStatus.up()) {
      return 0;
    }
    int n = 0;
    for (Member m : cluster.state().getMembers()) {
      if (m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp()) {
        n++;
      }
    }
    return n;
  }

  private static boolean isMember(org.apache.pekko.actor.typed.ActorSystem<?> system, String address) {
    for (Member m : Cluster.get(system).state().getMembers()) {
      if (m.address().toString().equals(address)) {
        return true;
      }
    }
    return false;
  }

  /** Why the caller may not join, or null. */
  static String refusal(NodeIdentity identity, NodeTable table, Hello m) {
    if (!Version.protocol(m.callerVersion()).equals(Version.protocol(Version.CURRENT))) {
      return "this pool runs otela " + Version.CURRENT + " and the joining node runs " + m.callerVersion()
          + "; nodes must share the same major.minor version: install otela " + Version.protocol(Version.CURRENT)
          + ".x on the joining node";
    }
    if (m.callerPeerId().equals(identity.peerId())) {
      return "the joining node has the same peer id as the node it joins (" + identity.peerId()
          + "); give it a different --seed (or key file)";
    }
    NodeRecord existing = table.get(m.callerPeerId());
    if (existing != null && table.isConnected(existing.id()) && !existing.clusterAddress().equals(m.callerAddress())) {
      return "peer id " + m.callerPeerId() + " is already a live member at " + existing.clusterAddress()
          + "; every node needs its own identity: give this one a different --seed (or key file), or stop the other";
    }
    return null;
  }
}
