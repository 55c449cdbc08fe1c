package org.opentela.auth;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.typed.Cluster;
import org.opentela.CborSerializable;

/**
 * Keeps the limits of keys close across the nodes that enforce them: every {@code sync_interval} (100 ms)
 * it starts an interval on this node's {@link Limiter} and publishes its reports (requests and tokens
 * since the last report, requests in flight, budgets) on a cluster topic; it applies the reports of the
 * others as they come. Counters travel point to point through the topic, not through Distributed Data,
 * whose gossip (1 s) would be ten times staler. A node with nothing to report still says it is there once
 * a second: a node that has not been heard from for {@link #LIVE_FOR} is no longer counted.
 */
public final class LimitSync extends AbstractBehavior<LimitSync.Command> {
  static final Duration LIVE_FOR = Duration.ofSeconds(3);
  private static final Duration HEARTBEAT = Duration.ofSeconds(1);

  public sealed interface Command {}

  /** One node's reports of one interval. */
  public record Reports(String node, List<KeyReport> keys) implements Command, CborSerializable {}

  private enum Tick implements Command { SYNC }

  public static Behavior<Command> create(Limiter limiter, Duration interval) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(LimitSync.class);
      return Behaviors.withTimers(timers -> {
        timers.startTimerWithFixedDelay(Tick.SYNC, interval);
        return new LimitSync(ctx, limiter, interval);
      });
    });
  }

  private final Limiter limiter;
  private final long intervalMillis;
  private final long peerTtlNanos;
  private final String self;
  private final ActorRef<Topic.Command<Reports>> topic;
  private final Map<String, Long> heard = new HashMap<>();
  private long lastPublished;

  private LimitSync(ActorContext<Command> ctx, Limiter limiter, Duration interval) {
    super(ctx);
    this.limiter = limiter;
    this.intervalMillis = Math.max(1, interval.toMillis());
    this.peerTtlNanos = Math.max(Duration.ofSeconds(1).toNanos(), interval.toNanos() * 10);
    this.self = Cluster.get(ctx.getSystem()).selfMember().uniqueAddress().toString();
    this.topic = ctx.spawn(Topic.create(Reports.class, "otela-key-limits"), "topic");
    topic.tell(Topic.subscribe(ctx.getSelf().narrow()));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Reports.class, this::onReports)
        .onMessageEquals(Tick.SYNC, this::onSync)
        .build();
  }

  private Behavior<Command> onReports(Reports m) {
    if (!m.node().equals(self)) {
      heard.put(m.node(), System.nanoTime());
      limiter.apply(m.node(), m.keys());
    }
    return this;
  }

  private Behavior<Command> onSync() {
    long now = System.nanoTime();
    heard.values().removeIf(t -> now - t > LIVE_FOR.toNanos());
    Set<String> live = heard.keySet().stream().collect(Collectors.toUnmodifiableSet());
    List<KeyReport> reports = limiter.tick(live, self, System.currentTimeMillis() / intervalMillis, peerTtlNanos);
    if (!reports.isEmpty() || now - lastPublished > HEARTBEAT.toNanos()) {
      topic.tell(Topic.publish(new Reports(self, reports)));
      lastPublished = now;
    }
    return this;
  }
}
