package org.opentela.cluster;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/** Logs membership changes in the user's terms: who joined, who is unreachable, who was removed. */
public final class MembershipLog extends AbstractBehavior<ClusterEvent.ClusterDomainEvent> {

  public static Behavior<ClusterEvent.ClusterDomainEvent> create() {
    return Behaviors.setup(ctx -> {
      // Name the logger for this class: Pekko would otherwise name it after whatever is on the stack.
      ctx.setLoggerName(MembershipLog.class);
      Cluster.get(ctx.getSystem()).subscriptions().tell(
          Subscribe.create(ctx.getSelf(), ClusterEvent.ClusterDomainEvent.class));
      return new MembershipLog(ctx);
    });
  }

  private MembershipLog(ActorContext<ClusterEvent.ClusterDomainEvent> ctx) {
    super(ctx);
  }

  @Override
  public Receive<ClusterEvent.ClusterDomainEvent> createReceive() {
    return newReceiveBuilder()
        .onMessage(ClusterEvent.MemberUp.class, this::onUp)
        .onMessage(ClusterEvent.UnreachableMember.class, this::onUnreachable)
        .onMessage(ClusterEvent.ReachableMember.class, this::onReachable)
        .onMessage(ClusterEvent.MemberDowned.class, this::onDowned)
        .onMessage(ClusterEvent.MemberRemoved.class, this::onRemoved)
        .onAnyMessage(e -> this)
        .build();
  }

  private Behavior<ClusterEvent.ClusterDomainEvent> onUp(ClusterEvent.MemberUp e) {
    getContext().getLog().info("Member up: {} {}", e.member().address(), e.member().getRoles());
    return this;
  }

  private Behavior<ClusterEvent.ClusterDomainEvent> onUnreachable(ClusterEvent.UnreachableMember e) {
    getContext().getLog().warn("Member unreachable: {}; routing avoids it until it is back or downed",
        e.member().address());
    return this;
  }

  private Behavior<ClusterEvent.ClusterDomainEvent> onReachable(ClusterEvent.ReachableMember e) {
    getContext().getLog().info("Member reachable again: {}", e.member().address());
    return this;
  }

  private Behavior<ClusterEvent.ClusterDomainEvent> onDowned(ClusterEvent.MemberDowned e) {
    getContext().getLog().warn("Member downed: {}", e.member().address());
    return this;
  }

  private Behavior<ClusterEvent.ClusterDomainEvent> onRemoved(ClusterEvent.MemberRemoved e) {
    getContext().getLog().info("Member removed: {} (was {})", e.member().address(), e.previousStatus());
    return this;
  }
}
