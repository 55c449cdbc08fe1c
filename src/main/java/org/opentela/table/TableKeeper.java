package org.opentela.table;

import org.opentela.platform.Hardware;
import java.time.Duration;
import org.apache.pekko.Done;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Owns this node's view of the node table and is the only writer of its Distributed Data entry.
 *
 * <p>Writes this node's own record (at start, on every service change, and every refresh interval for
 * {@code last_seen} and hardware), prunes the records of removed members, tracks which members are
 * connected, and publishes an immutable {@link NodeTable} to subscribers on every change. Structural
 * changes (services, status) are written to all nodes at once; refreshes and load samples locally, and
 * gossip spreads them.
 */
public final class TableKeeper extends AbstractBehavior<TableKeeper.Command> {

  /** The Distributed Data key of the table (durable: see application.conf). */
  static final Key<LWWMap<String, NodeRecord>> KEY = LWWMapKey.create("node-table");

  /** Timing of writes and pruning. */
  public record Settings(Duration refreshInterval, Duration pruneAfter, Duration loadWriteInterval,
      Duration writeAllTimeout) {
    public static Settings of(Duration refreshInterval, Duration pruneAfter) {
      return new Settings(refreshInterval, pruneAfter, Duration.ofSeconds(2), Duration.ofSeconds(2));
    }
  }

  public sealed interface Command {}

  /** Sends the current table now, then every new one, to {@code subscriber} until it stops. */
  public record Subscribe(ActorRef<NodeTable> subscriber) implements Command {}

  public record GetTable(ActorRef<NodeTable> replyTo) implements Command {}

  /**
   * The records of the replicated table as stored on this node (the durable store included), other than
   * this node's own: whom this node remembers from before a restart. Answered once the store is loaded.
   */
  public record GetRemembered(ActorRef<Remembered> replyTo) implements Command {}

  /** The answer to {@link GetRemembered}. */
  public record Remembered(List<NodeRecord> records) {}

  /** Adds or replaces (by name) a service of this node, and replicates it to every node at once. */
  public record PublishService(ServiceRecord service) implements Command {}

  /** Removes a service of this node from the table. */
  public record WithdrawService(String name) implements Command {}

  /** A new load sample for a service of this node; table writes of load are rate-limited. */
  public record UpdateLoad(String serviceName, Load load) implements Command {}

  /**
   * Sets this node's status ("" normally; "draining" while it stops) and replicates it to every node;
   * {@code replyTo} hears when every node has it, or the write timed out (then gossip will spread it).
   */
  public record SetStatus(String status, ActorRef<Done> replyTo) implements Command {}

  private record TableChanged(Replicator.SubscribeResponse<LWWMap<String, NodeRecord>> response)
      implements Command {}

  private record Written(Replicator.UpdateResponse<LWWMap<String, NodeRecord>> response) implements Command {}

  private record MembershipChanged(ClusterEvent.ClusterDomainEvent event) implements Command {}

  private record SubscriberStopped(ActorRef<NodeTable> subscriber) implements Command {}

  private record HardwareProbed(Hardware hardware) implements Command {}

  private record StatusWritten(ActorRef<Done> replyTo) implements Command {}

  private record ReplicaRead(Replicator.GetResponse<LWWMap<String, NodeRecord>> response,
      ActorRef<Remembered> replyTo) implements Command {}

  private enum Tick implements Command { REFRESH, PRUNE, FLUSH_LOAD, PUBLISH }

  public static Behavior<Command> create(NodeRecord initial, Settings settings, Supplier<Hardware> hardwareProbe) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(TableKeeper.class);
      return Behaviors.withTimers(timers ->
        DistributedData.<Command, LWWMap<String, NodeRecord>>withReplicatorMessageAdapter(replicator ->
            new TableKeeper(ctx, timers, replicator, initial, settings, hardwareProbe)));
    });
  }

  private final TimerScheduler<Command> timers;
  private final ReplicatorMessageAdapter<Command, LWWMap<String, NodeRecord>> replicator;
  private final Settings settings;
  private final Supplier<Hardware> hardwareProbe;
  private final Executor blocking;
  private final SelfUniqueAddress selfNode;
  private final UniqueAddress selfAddress;
  private final List<ActorRef<NodeTable>> subscribers = new ArrayList<>();
  /** Current members by address (one incarnation per address at a time). */
  private final Map<String, Member> members = new HashMap<>();
  private final Set<UniqueAddress> unreachable = new HashSet<>();

  private NodeRecord self;
  private Map<String, NodeRecord> replicated = Map.of();
  private NodeTable table;
  /** A change is not yet in {@link #table}; a {@code Tick.PUBLISH} is on its way. */
  private boolean dirty;
  private long version;
  private boolean selfUp;

  private TableKeeper(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      ReplicatorMessageAdapter<Command, LWWMap<String, NodeRecord>> replicator, NodeRecord initial,
      Settings settings, Supplier<Hardware> hardwareProbe) {
    super(ctx);
    this.timers = timers;
    this.replicator = replicator;
    this.settings = settings;
    this.hardwareProbe = hardwareProbe;
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    Cluster cluster = Cluster.get(ctx.getSystem());
    this.selfNode = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    this.selfAddress = cluster.selfMember().uniqueAddress();
    this.self = initial.withLastSeen(nowSeconds())
        .withClusterMember(selfAddress.address().toString(), selfAddress.longUid());
    this.table = NodeTable.empty(self.id());

    replicator.subscribe(KEY, TableChanged::new);
    cluster.subscriptions().tell(org.apache.pekko.cluster.typed.Subscribe.create(
        ctx.messageAdapter(ClusterEvent.ClusterDomainEvent.class, MembershipChanged::new),
        ClusterEvent.ClusterDomainEvent.class));
    timers.startTimerWithFixedDelay(Tick.REFRESH, settings.refreshInterval());
    Duration pruneEvery = settings.pruneAfter().dividedBy(2);
    timers.startTimerWithFixedDelay(Tick.PRUNE, pruneEvery.compareTo(Duration.ofSeconds(1)) < 0
        ? Duration.ofSeconds(1) : pruneEvery);
    writeSelf(Replicator.writeLocal());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(GetTable.class, m -> {
          m.replyTo().tell(current());
          return this;
        })
        .onMessage(GetRemembered.class, this::onGetRemembered)
        .onMessage(ReplicaRead.class, this::onReplicaRead)
        .onMessage(PublishService.class, m -> {
          self = self.withService(m.service());
          getContext().getLog().info("Registered service {} (status {}, identity groups {})",
              m.service().name(), m.service().status(), m.service().identityGroup());
          writeSelf(writeAll());
          return this;
        })
        .onMessage(WithdrawService.class, m -> {
          if (self.findService(m.name()) != null) {
            self = self.withoutService(m.name());
            getContext().getLog().info("Withdrew service {}", m.name());
            writeSelf(writeAll());
          }
          return this;
        })
        .onMessage(UpdateLoad.class, this::onUpdateLoad)
        .onMessage(SetStatus.class, m -> {
          self = self.withStatus(m.status());
          NodeRecord record = self;
          replicator.askUpdate(
              replyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), writeAll(), replyTo,
                  map -> map.put(selfNode, record.id(), record)),
              response -> new StatusWritten(m.replyTo()));
          publishSoon();
          return this;
        })
        .onMessage(StatusWritten.class, m -> {
          m.replyTo().tell(Done.getInstance());
          return this;
        })
        .onMessage(TableChanged.class, this::onTableChanged)
        .onMessage(Written.class, this::onWritten)
        .onMessage(MembershipChanged.class, this::onMembershipChanged)
        .onMessage(SubscriberStopped.class, m -> {
          subscribers.remove(m.subscriber());
          return this;
        })
        .onMessage(HardwareProbed.class, m -> {
          self = self.withHardware(m.hardware()).withLastSeen(nowSeconds());
          writeSelf(Replicator.writeLocal());
          return this;
        })
        .onMessageEquals(Tick.REFRESH, this::onRefresh)
        .onMessageEquals(Tick.PRUNE, this::onPrune)
        .onMessageEquals(Tick.PUBLISH, () -> {
          current();
          return this;
        })
        .onMessageEquals(Tick.FLUSH_LOAD, () -> {
          writeSelf(Replicator.writeLocal());
          return this;
        })
        .build();
  }

  private Behavior<Command> onSubscribe(Subscribe m) {
    NodeTable now = current();
    subscribers.add(m.subscriber());
    getContext().watchWith(m.subscriber(), new SubscriberStopped(m.subscriber()));
    m.subscriber().tell(now);
    return this;
  }

  private Behavior<Command> onGetRemembered(GetRemembered m) {
    // The replicator answers a local read only once its durable store is loaded.
    replicator.askGet(replyTo -> new Replicator.Get<>(KEY, Replicator.readLocal(), replyTo),
        response -> new ReplicaRead(response, m.replyTo()));
    return this;
  }

  private Behavior<Command> onReplicaRead(ReplicaRead m) {
    List<NodeRecord> records = new ArrayList<>();
    if (m.response() instanceof Replicator.GetSuccess<LWWMap<String, NodeRecord>> ok) {
      for (NodeRecord r : ok.get(KEY).getEntries().values()) {
        if (!r.id().equals(self.id())) {
          records.add(r);
        }
      }
    }
    m.replyTo().tell(new Remembered(records));
    return this;
  }

  private Behavior<Command> onUpdateLoad(UpdateLoad m) {
    ServiceRecord s = self.findService(m.serviceName());
    if (s != null) {
      self = self.withService(s.withLoad(m.load()));
      if (!timers.isTimerActive(Tick.FLUSH_LOAD)) {
        timers.startSingleTimer(Tick.FLUSH_LOAD, settings.loadWriteInterval());
      }
    }
    return this;
  }

  private Behavior<Command> onRefresh() {
    CompletableFuture<Hardware> probe = CompletableFuture.supplyAsync(hardwareProbe, blocking);
    getContext().pipeToSelf(probe, (hw, err) -> new HardwareProbed(err == null ? hw : self.hardware()));
    return this;
  }

  private Behavior<Command> onTableChanged(TableChanged m) {
    if (m.response() instanceof Replicator.Changed<LWWMap<String, NodeRecord>> changed) {
      replicated = new HashMap<>(changed.get(KEY).getEntries());
      publishSoon();
    }
    return this;
  }

  private Behavior<Command> onWritten(Written m) {
    if (!(m.response() instanceof Replicator.UpdateSuccess)) {
      // The write is applied locally and gossip will spread it; only the immediate push fell short.
      getContext().getLog().debug("Table write not confirmed by every node in time: {}", m.response());
    }
    return this;
  }

  private Behavior<Command> onMembershipChanged(MembershipChanged m) {
    ClusterEvent.ClusterDomainEvent e = m.event();
    // Typed subscriptions start with the current state as events (MemberUp, UnreachableMember, ...).
    if (e instanceof ClusterEvent.MemberRemoved removed) {
      members.remove(removed.member().address().toString(), removed.member());
      unreachable.remove(removed.member().uniqueAddress());
      pruneMember(removed.member().uniqueAddress());
    } else if (e instanceof ClusterEvent.MemberEvent me) {
      members.put(me.member().address().toString(), me.member());
    } else if (e instanceof ClusterEvent.UnreachableMember um) {
      unreachable.add(um.member().uniqueAddress());
    } else if (e instanceof ClusterEvent.ReachableMember rm) {
      unreachable.remove(rm.member().uniqueAddress());
    } else {
      return this;
    }
    Member me = members.get(selfAddress.address().toString());
    me = me != null && me.uniqueAddress().equals(selfAddress) ? me : null;
    boolean nowUp = me != null && me.status() == MemberStatus.up();
    if (nowUp && !selfUp) {
      // Now a full member: a fresh local write makes a delta of our record alone, which Distributed Data
      // sends to every node within a gossip interval. (A WriteAll would send the whole table to every
      // node: when N nodes come up together, as after a head restart, N^2 copies of an N-row table.)
      self = self.withLastSeen(nowSeconds());
      writeSelf(Replicator.writeLocal());
    }
    selfUp = nowUp;
    publishSoon();
    return this;
  }

  private Behavior<Command> onPrune() {
    if (!selfUp) {
      return this;
    }
    long now = nowSeconds();
    for (NodeRecord r : List.copyOf(replicated.values())) {
      if (r.id().equals(self.id()) || memberOf(r) != null) {
        continue;
      }
      if (now - r.lastSeen() > settings.pruneAfter().toSeconds()) {
        getContext().getLog().info("Pruning {} from the table: not a cluster member, last seen {} s ago",
            r.id(), now - r.lastSeen());
        remove(r.id());
      }
    }
    return this;
  }

  private void pruneMember(UniqueAddress removed) {
    if (!selfUp) {
      return;
    }
    for (NodeRecord r : List.copyOf(replicated.values())) {
      if (!r.id().equals(self.id()) && r.clusterUid() == removed.longUid()
          && r.clusterAddress().equals(removed.address().toString())) {
        getContext().getLog().info("Node {} left the cluster ({}); pruning its record", r.id(), removed.address());
        remove(r.id());
      }
    }
  }

  private void remove(String peerId) {
    replicated.remove(peerId);
    replicator.askUpdate(
        replyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), Replicator.writeLocal(), replyTo,
            map -> map.remove(selfNode, peerId)),
        Written::new);
    publishSoon();
  }

  private void writeSelf(Replicator.WriteConsistency consistency) {
    NodeRecord record = self;
    replicator.askUpdate(
        replyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), consistency, replyTo,
            map -> map.put(selfNode, record.id(), record)),
        Written::new);
    publishSoon();
  }

  private Replicator.WriteConsistency writeAll() {
    return new Replicator.WriteAll(settings.writeAllTimeout());
  }

  /**
   * Publishes a new snapshot after the messages already in the mailbox: a burst of membership events or
   * table changes (a pool of N nodes starting sees O(N) of them, each with O(N) records) becomes one
   * snapshot instead of one per event, and subscribers still see every change at once.
   */
  private void publishSoon() {
    if (!dirty) {
      dirty = true;
      getContext().getSelf().tell(Tick.PUBLISH);
    }
  }

  /** The latest snapshot, rebuilt now if a change is pending. */
  private NodeTable current() {
    if (dirty) {
      publish();
    }
    return table;
  }

  /** Rebuilds the snapshot (replicated records, our own latest record, our connectivity view) and sends it. */
  private void publish() {
    dirty = false;
    Map<String, NodeRecord> records = new HashMap<>(replicated);
    records.put(self.id(), self);
    Set<String> connected = new HashSet<>();
    for (NodeRecord r : records.values()) {
      if (r.id().equals(self.id())) {
        connected.add(r.id());
        continue;
      }
      Member m = memberOf(r);
      if (m != null && !unreachable.contains(m.uniqueAddress()) && isServing(m.status())) {
        connected.add(r.id());
      }
    }
    table = new NodeTable(++version, self.id(), records, connected);
    for (ActorRef<NodeTable> s : subscribers) {
      s.tell(table);
    }
  }

  private Member memberOf(NodeRecord r) {
    Member m = members.get(r.clusterAddress());
    return m != null && m.uniqueAddress().longUid() == r.clusterUid() ? m : null;
  }

  private static boolean isServing(MemberStatus s) {
    return s == MemberStatus.up() || s == MemberStatus.weaklyUp() || s == MemberStatus.leaving();
  }

  static long nowSeconds() {
    return System.currentTimeMillis() / 1000;
  }
}
