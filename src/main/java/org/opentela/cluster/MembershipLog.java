package org.opentela.cluster;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/** Logs membership changes in the user's terms: who joined, who is unreachable, who was removed. */
public final class MembershipLog {
  private MembershipLog() {}

  public static Behavior<ClusterEvent.ClusterDomainEvent> create() {
    return Behaviors.setup(ctx -> {
      // Name the logger for this class: Pekko would otherwise name it after whatever is on the stack.
      ctx.setLoggerName(MembershipLog.class);
      Cluster.get(ctx.getSystem()).subscriptions().tell(
          Subscribe.create(ctx.getSelf(), ClusterEvent.ClusterDomainEvent.class));
      return Behaviors.receive(ClusterEvent.ClusterDomainEvent.class)
          .onMessage(ClusterEvent.MemberUp.class, e -> {
            ctx.getLog().info("Member up: {} {}", e.member().address(), e.member().getRoles());
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.UnreachableMember.class, e -> {
            ctx.getLog().warn("Member unreachable: {}; routing avoids it until it is back or downed",
                e.member().address());
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.ReachableMember.class, e -> {
            ctx.getLog().info("Member reachable again: {}", e.member().address());
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.MemberDowned.class, e -> {
            ctx.getLog().warn("Member downed: {}", e.member().address());
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.MemberRemoved.class, e -> {
            ctx.getLog().info("Member removed: {} (was {})", e.member().address(), e.previousStatus());
            return Behaviors.same();
          })
          .onAnyMessage(e -> Behaviors.same())
          .build();
    });
  }
}
