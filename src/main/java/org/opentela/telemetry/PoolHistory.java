package org.opentela.telemetry;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.ServiceRecord;
import org.opentela.table.TableKeeper;

/**
 * The last 15 minutes of this node's view of the pool, for the dashboard: its traffic, sampled every
 * interval into a {@link TrafficHistory}, and the nodes that left the table, with how they left (a node that
 * was unreachable when it was removed stays "unreachable" on the page, instead of vanishing).
 *
 * <p>Sampling runs whether or not anyone looks, so the page has its history when it opens; a sample is a
 * read of a few counters. It also tells the HTTP layer which models the table serves, so that per-model
 * series carry only those names, never a name a client made up.
 */
public final class PoolHistory extends AbstractBehavior<PoolHistory.Command> {
  public static final String NAME = "pool-history";

  public sealed interface Command {}

  /** The traffic points after {@code afterSeq} (0: all). */
  public record GetTraffic(long afterSeq, ActorRef<TrafficHistory.Points> replyTo) implements Command {}

  /** The last {@code points} traffic points. */
  public record GetRecent(int points, ActorRef<TrafficHistory.Points> replyTo) implements Command {}

  /** The nodes removed from the table within the retention, by peer id. */
  public record GetGone(ActorRef<Gone> replyTo) implements Command {}

  public record Gone(Map<String, GoneNode> nodes) {}

  /**
   * A node no longer in the table: its last record, whether this node saw it connected then, and when it
   * went (unix milliseconds).
   */
  public record GoneNode(NodeRecord last, boolean wasConnected, long goneAtMillis) {}

  /**
   * @param interval  how often traffic is sampled
   * @param capacity  points kept (capacity × interval = the history's length)
   * @param window    intervals the latency quantiles span
   * @param keepGone  how long a removed node stays listed
   */
  public record Settings(Duration interval, int capacity, int window, Duration keepGone) {
    /** One point a second for 15 minutes, quantiles over 10 s. */
    public static final Settings DEFAULT = new Settings(Duration.ofSeconds(1), 900, 10, Duration.ofMinutes(15));
  }

  private record TableUpdated(NodeTable table) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private final Supplier<TrafficSample> sampler;
  private final Consumer<Set<String>> servedModels;
  private final Settings settings;
  private final TrafficHistory traffic;
  private final Map<String, GoneNode> gone = new HashMap<>();
  private NodeTable table;
  private Set<String> models = Set.of();

  /**
   * @param sampler      takes a traffic sample (called on this actor, every interval)
   * @param servedModels told the set of models the table serves, whenever it changes
   */
  public static Behavior<Command> create(ActorRef<TableKeeper.Command> keeper, Supplier<TrafficSample> sampler,
      Consumer<Set<String>> servedModels, Settings settings) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(PoolHistory.class);
      return Behaviors.withTimers(timers -> new PoolHistory(ctx, timers, keeper, sampler, servedModels, settings));
    });
  }

  private PoolHistory(ActorContext<Command> ctx, TimerScheduler<Command> timers, ActorRef<TableKeeper.Command> keeper,
      Supplier<TrafficSample> sampler, Consumer<Set<String>> servedModels, Settings settings) {
    super(ctx);
    this.sampler = sampler;
    this.servedModels = servedModels;
    this.settings = settings;
    this.traffic = new TrafficHistory(settings.capacity(), settings.window());
    timers.startTimerAtFixedRate(Tick.INSTANCE, settings.interval());
    keeper.tell(new TableKeeper.Subscribe(ctx.messageAdapter(NodeTable.class, TableUpdated::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(TableUpdated.class, this::onTable)
        .onMessage(GetTraffic.class, this::onGetTraffic)
        .onMessage(GetRecent.class, this::onGetRecent)
        .onMessage(GetGone.class, this::onGetGone)
        .build();
  }

  private Behavior<Command> onTick() {
    traffic.add(sampler.get());
    long cutoff = System.currentTimeMillis() - settings.keepGone().toMillis();
    gone.values().removeIf(g -> g.goneAtMillis() < cutoff);
    return this;
  }

  private Behavior<Command> onTable(TableUpdated m) {
    NodeTable next = m.table();
    if (table != null) {
      long now = System.currentTimeMillis();
      for (Map.Entry<String, NodeRecord> e : table.records().entrySet()) {
        if (next.get(e.getKey()) == null) {
          gone.put(e.getKey(), new GoneNode(e.getValue(), table.isConnected(e.getKey()), now));
        }
      }
    }
    for (Iterator<String> it = gone.keySet().iterator(); it.hasNext(); ) {
      if (next.get(it.next()) != null) {
        it.remove(); // back in the table
      }
    }
    table = next;
    Set<String> served = servedModels(next);
    if (!served.equals(models)) {
      models = served;
      servedModels.accept(served);
    }
    return this;
  }

  /** Every model named by a {@code model=} identity group in the table, routable or not. */
  static Set<String> servedModels(NodeTable t) {
    Set<String> out = new HashSet<>();
    for (NodeRecord r : t.records().values()) {
      for (ServiceRecord s : r.service()) {
        for (String g : s.identityGroup()) {
          String group = g.trim();
          if (group.startsWith("model=") && group.length() > "model=".length() && !group.equals("model=*")) {
            out.add(group.substring("model=".length()));
          }
        }
      }
    }
    return Set.copyOf(out);
  }

  private Behavior<Command> onGetTraffic(GetTraffic m) {
    m.replyTo().tell(traffic.since(m.afterSeq()));
    return this;
  }

  private Behavior<Command> onGetRecent(GetRecent m) {
    m.replyTo().tell(traffic.last(m.points()));
    return this;
  }

  private Behavior<Command> onGetGone(GetGone m) {
    m.replyTo().tell(new Gone(Map.copyOf(gone)));
    return this;
  }
}
