package org.opentela.table;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
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
import org.opentela.platform.Hardware;

/**
 * Owns this node's view of the node table and is the only writer of its Distributed Data entry.
 *
 * <p>Writes this node's own record (at start, on every service change, on a change of its hardware
 * inventory, and for {@code last_seen} and memory in use every refresh interval or less often in a large
 * pool: {@link Settings#refreshWriteEvery}), prunes the records of removed members, tracks which members are
 * connected ({@link Membership}), and publishes an immutable {@link NodeTable} to subscribers on every
 * change, one per burst of changes ({@link Snapshots}). Structural changes (services, status) are written
 * to all nodes at once; refreshes and load samples locally, and gossip spreads them.
 */
public final class TableKeeper extends AbstractBehavior<TableKeeper.Command> {

  /**
   * The Distributed Data key of the table (durable: see application.conf). Values are signed records,
   * checked by {@link #seal} before anything here uses them.
   */
  static final Key<LWWMap<String, SignedRecord>> KEY = LWWMapKey.create("signed-node-table");

  /**
   * Timing of writes and pruning. {@code refreshWritesPerSecond}: the pool-wide budget of refresh writes
   * (see {@link #refreshWriteEvery}); 0 = every refresh interval, whatever the pool's size.
   */
  public record Settings(Duration refreshInterval, Duration pruneAfter, Duration loadWriteInterval,
      Duration writeAllTimeout, double refreshWritesPerSecond) {
    public static Settings of(Duration refreshInterval, Duration pruneAfter, double refreshWritesPerSecond) {
      return new Settings(refreshInterval, pruneAfter, Duration.ofSeconds(2), Duration.ofSeconds(2),
          refreshWritesPerSecond);
    }

    /**
     * How often a node rewrites its record when only its changing facts moved ({@code last_seen}, memory in
     * use): every refresh interval, or every {@code members / refreshWritesPerSecond}, whichever is longer.
     * Each such write is signed, sent to every node, checked and stored there, so without the budget a pool
     * of N nodes makes N / refresh-interval writes a second, each received by all N: at 20 idle nodes that
     * was 40 % of each node's CPU and of its cluster traffic (bench/results.md, "The table's refresh writes,
     * budgeted"). With the default budget of 0.5 a second: 10 s up to 5 members, 40 s at 20, 100 s at 50, 1 000 s at 500.
     */
    public Duration refreshWriteEvery(int members) {
      if (refreshWritesPerSecond <= 0) {
        return refreshInterval;
      }
      long millis = (long) Math.ceil(Math.max(1, members) * 1000 / refreshWritesPerSecond);
      Duration budget = Duration.ofMillis(millis);
      return budget.compareTo(refreshInterval) > 0 ? budget : refreshInterval;
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

  /**
   * Drops at once the records of every node that is not a cluster member now: a head that formed a pool
   * alone after an earlier run starts with a fresh table instead of stale rows (they would otherwise stay
   * until --table.prune-after). A node that comes back writes its record again.
   */
  public record ForgetAbsent() implements Command {}

  private record TableChanged(Replicator.SubscribeResponse<LWWMap<String, SignedRecord>> response)
      implements Command {}

  private record Written(Replicator.UpdateResponse<LWWMap<String, SignedRecord>> response) implements Command {}

  /** A cluster member's status changed (adapted from {@link ClusterEvent.MemberEvent}; tests send it too). */
  record MemberChanged(UniqueAddress member, MemberStatus status) implements Command {}

  /** A member became unreachable or reachable again (adapted from {@link ClusterEvent.ReachabilityEvent}). */
  record ReachabilityChanged(UniqueAddress member, boolean reachable) implements Command {}

  private record SubscriberStopped(ActorRef<NodeTable> subscriber) implements Command {}

  private record HardwareProbed(Hardware hardware) implements Command {}

  private record StatusWritten(ActorRef<Done> replyTo) implements Command {}

  private record ReplicaRead(Replicator.GetResponse<LWWMap<String, SignedRecord>> response,
      ActorRef<Remembered> replyTo) implements Command {}

  private enum Tick implements Command { REFRESH, PRUNE, FLUSH_LOAD, PUBLISH }

  /** {@code seal} signs this node's record and checks the others' (see {@link RecordSeal}). */
  /**
   * {@code keeper} supervised as the node runs it. The replicator adapter throws a {@link TimeoutException}
   * when the local replicator does not answer an update or read within
   * {@code pekko.cluster.ddata.typed.replicator-message-adapter-unexpected-ask-timeout} (a starved machine):
   * the keeper resumes, keeping its subscribers and its own record (the write is still applied locally, and
   * gossip spreads it). A restart would forget the subscribers (router, proxy, HTTP views), which would then
   * never see the table change again. Any other failure, a bug, restarts it with backoff; it re-reads the
   * replica.
   */
  public static <T> Behavior<T> supervised(Behavior<T> keeper) {
    return Behaviors.supervise(Behaviors.supervise(keeper).onFailure(TimeoutException.class, SupervisorStrategy.resume()))
        .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
  }

  public static Behavior<Command> create(NodeRecord initial, Settings settings, Supplier<Hardware> hardwareProbe,
      RecordSeal seal) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(TableKeeper.class);
      return Behaviors.withTimers(timers ->
        DistributedData.<Command, LWWMap<String, SignedRecord>>withReplicatorMessageAdapter(replicator ->
            new TableKeeper(ctx, timers, replicator, initial, settings, hardwareProbe, seal)));
    });
  }

  private final TimerScheduler<Command> timers;
  private final ReplicatorMessageAdapter<Command, LWWMap<String, SignedRecord>> replicator;
  private final RecordSeal seal;
  /** The replicated value each record in {@link #replicated} was opened from, so it is checked only once. */
  private final Map<String, SignedRecord> opened = new HashMap<>();
  /** Peer ids whose replicated value was rejected, and why (a forged or broken record). */
  private final Map<String, String> rejected = new HashMap<>();
  private final Settings settings;
  private final Supplier<Hardware> hardwareProbe;
  private final Executor blocking;
  private final SelfUniqueAddress selfNode;
  private final UniqueAddress selfAddress;
  private final Membership membership = new Membership();
  private final Snapshots snapshots;

  private NodeRecord self;
  private Map<String, NodeRecord> replicated = Map.of();
  private boolean selfUp;

  private TableKeeper(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      ReplicatorMessageAdapter<Command, LWWMap<String, SignedRecord>> replicator, NodeRecord initial,
      Settings settings, Supplier<Hardware> hardwareProbe, RecordSeal seal) {
    super(ctx);
    this.timers = timers;
    this.replicator = replicator;
    this.seal = seal;
    this.settings = settings;
    this.hardwareProbe = hardwareProbe;
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    Cluster cluster = Cluster.get(ctx.getSystem());
    this.selfNode = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    this.selfAddress = cluster.selfMember().uniqueAddress();
    this.self = initial.withLastSeen(nowSeconds())
        .withClusterMember(selfAddress.address().toString(), selfAddress.longUid());
    this.snapshots = new Snapshots(NodeTable.empty(self.id()), this::snapshot,
        () -> ctx.getSelf().tell(Tick.PUBLISH));

    replicator.subscribe(KEY, TableChanged::new);
    // Typed subscriptions start with the current state as events (MemberUp, UnreachableMember, ...).
    cluster.subscriptions().tell(org.apache.pekko.cluster.typed.Subscribe.create(ctx.messageAdapter(
        ClusterEvent.MemberEvent.class, e -> new MemberChanged(e.member().uniqueAddress(), e.member().status())),
        ClusterEvent.MemberEvent.class));
    cluster.subscriptions().tell(org.apache.pekko.cluster.typed.Subscribe.create(ctx.messageAdapter(
        ClusterEvent.ReachabilityEvent.class,
        e -> new ReachabilityChanged(e.member().uniqueAddress(), e instanceof ClusterEvent.ReachableMember)),
        ClusterEvent.ReachabilityEvent.class));
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
        .onMessage(SubscriberStopped.class, this::onSubscriberStopped)
        .onMessage(GetTable.class, this::onGetTable)
        .onMessage(GetRemembered.class, this::onGetRemembered)
        .onMessage(ReplicaRead.class, this::onReplicaRead)
        .onMessage(PublishService.class, this::onPublishService)
        .onMessage(WithdrawService.class, this::onWithdrawService)
        .onMessage(UpdateLoad.class, this::onUpdateLoad)
        .onMessage(SetStatus.class, this::onSetStatus)
        .onMessage(StatusWritten.class, this::onStatusWritten)
        .onMessage(TableChanged.class, this::onTableChanged)
        .onMessage(Written.class, this::onWritten)
        .onMessage(MemberChanged.class, this::onMemberChanged)
        .onMessage(ReachabilityChanged.class, this::onReachabilityChanged)
        .onMessage(HardwareProbed.class, this::onHardwareProbed)
        .onMessageEquals(Tick.REFRESH, this::onRefresh)
        .onMessageEquals(Tick.PRUNE, this::onPrune)
        .onMessage(ForgetAbsent.class, this::onForgetAbsent)
        .onMessageEquals(Tick.PUBLISH, this::onPublishTick)
        .onMessageEquals(Tick.FLUSH_LOAD, this::onFlushLoad)
        .build();
  }

  private Behavior<Command> onSubscribe(Subscribe m) {
    getContext().watchWith(m.subscriber(), new SubscriberStopped(m.subscriber()));
    snapshots.subscribe(m.subscriber());
    return this;
  }

  private Behavior<Command> onSubscriberStopped(SubscriberStopped m) {
    snapshots.unsubscribe(m.subscriber());
    return this;
  }

  private Behavior<Command> onGetTable(GetTable m) {
    m.replyTo().tell(snapshots.current());
    return this;
  }

  private Behavior<Command> onPublishService(PublishService m) {
    self = self.withService(m.service());
    getContext().getLog().info("Registered service {} (status {}, identity groups {})",
        m.service().name(), m.service().status(), m.service().identityGroup());
    writeSelf(writeAll());
    return this;
  }

  private Behavior<Command> onWithdrawService(WithdrawService m) {
    if (self.findService(m.name()) != null) {
      self = self.withoutService(m.name());
      getContext().getLog().info("Withdrew service {}", m.name());
      writeSelf(writeAll());
    }
    return this;
  }

  private Behavior<Command> onSetStatus(SetStatus m) {
    self = self.withStatus(m.status());
    writeSelf(writeAll(), response -> new StatusWritten(m.replyTo()));
    return this;
  }

  private Behavior<Command> onStatusWritten(StatusWritten m) {
    m.replyTo().tell(Done.getInstance());
    return this;
  }

  /**
   * A new hardware sample. A changed inventory (GPUs, memory size) is written at once; memory in use and
   * {@code last_seen} only once the last refresh is {@link Settings#refreshWriteEvery} old. Meanwhile the
   * sample is kept, and any other write of the record (a service, the status, load) carries it.
   */
  private Behavior<Command> onHardwareProbed(HardwareProbed m) {
    long now = nowSeconds();
    boolean inventoryChanged = !m.hardware().sameInventory(self.hardware());
    self = self.withHardware(m.hardware());
    if (inventoryChanged || now - self.lastSeen() >= settings.refreshWriteEvery(membership.size()).toSeconds()) {
      self = self.withLastSeen(now);
      writeSelf(Replicator.writeLocal());
    }
    return this;
  }

  private Behavior<Command> onPublishTick() {
    snapshots.current();
    return this;
  }

  private Behavior<Command> onFlushLoad() {
    writeSelf(Replicator.writeLocal());
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
    if (m.response() instanceof Replicator.GetSuccess<LWWMap<String, SignedRecord>> ok) {
      ok.get(KEY).getEntries().forEach((id, sealed) -> {
        RecordSeal.Opened o = id.equals(self.id()) ? null : seal.open(id, sealed);
        if (o != null && o.record() != null) {
          records.add(o.record());
        }
      });
    }
    m.replyTo().tell(new Remembered(records));
    return this;
  }

  private Behavior<Command> onUpdateLoad(UpdateLoad m) {
    ServiceRecord s = self.findService(m.serviceName());
    // The same gauges again (an idle backend, sampled every load_interval) change nothing worth a write:
    // each write is signed, replicated to every node, checked and stored there.
    if (s != null && !m.load().sameGauges(s.load())) {
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
    if (m.response() instanceof Replicator.Changed<LWWMap<String, SignedRecord>> changed) {
      openAll(changed.get(KEY).getEntries());
      snapshots.changed();
    }
    return this;
  }

  /**
   * Checks each replicated record that changed. A rejected one (forged by another node, or broken) is
   * never used: the last valid record of that peer id is kept, if there was one, and the rejection is
   * logged and shown in the table. Our own record forged elsewhere is written again.
   */
  private void openAll(Map<String, SignedRecord> entries) {
    Map<String, NodeRecord> next = new HashMap<>();
    for (Map.Entry<String, SignedRecord> e : entries.entrySet()) {
      String id = e.getKey();
      SignedRecord sealed = e.getValue();
      NodeRecord known = replicated.get(id);
      if (known != null && sealed.sameAs(opened.get(id))) {
        next.put(id, known);
        continue;
      }
      RecordSeal.Opened o = seal.open(id, sealed);
      if (o.record() != null) {
        next.put(id, o.record());
        opened.put(id, sealed);
        rejected.remove(id);
        continue;
      }
      if (!o.rejection().equals(rejected.put(id, o.rejection()))) {
        getContext().getLog().warn("Rejected the record replicated for peer {}: {}{}", id, o.rejection(),
            known != null ? "; keeping its last valid record" : "");
      }
      if (known != null) {
        next.put(id, known);
      }
      if (id.equals(self.id())) {
        writeSelf(Replicator.writeLocal());
      }
    }
    rejected.keySet().retainAll(entries.keySet());
    opened.keySet().retainAll(next.keySet());
    replicated = next;
  }

  private Behavior<Command> onWritten(Written m) {
    if (!(m.response() instanceof Replicator.UpdateSuccess)) {
      // The write is applied locally and gossip will spread it; only the immediate push fell short.
      getContext().getLog().debug("Table write not confirmed by every node in time: {}", m.response());
    }
    return this;
  }

  private Behavior<Command> onMemberChanged(MemberChanged m) {
    membership.changed(m.member(), m.status());
    if (m.status() == MemberStatus.removed()) {
      pruneMember(m.member());
    }
    boolean nowUp = membership.isUp(selfAddress);
    if (nowUp && !selfUp) {
      // Now a full member: a fresh local write makes a delta of our record alone, which Distributed Data
      // sends to every node within a gossip interval. (A WriteAll would send the whole table to every
      // node: when N nodes come up together, as after a head restart, N^2 copies of an N-row table.)
      self = self.withLastSeen(nowSeconds());
      writeSelf(Replicator.writeLocal());
    }
    selfUp = nowUp;
    snapshots.changed();
    return this;
  }

  private Behavior<Command> onReachabilityChanged(ReachabilityChanged m) {
    membership.reachability(m.member(), m.reachable());
    snapshots.changed();
    return this;
  }

  private Behavior<Command> onPrune() {
    if (selfUp) {
      long now = nowSeconds();
      for (NodeRecord r : membership.stale(others(), now, settings.pruneAfter())) {
        getContext().getLog().info("Pruning {} from the table: not a cluster member, last seen {} s ago",
            r.id(), now - r.lastSeen());
        remove(r.id());
      }
    }
    return this;
  }

  private Behavior<Command> onForgetAbsent(ForgetAbsent m) {
    List<String> gone = new ArrayList<>();
    for (NodeRecord r : others()) {
      if (!membership.isMember(r)) {
        gone.add(r.id());
        remove(r.id());
      }
    }
    if (!gone.isEmpty()) {
      snapshots.changed();
      getContext().getLog().info("Dropped the rows of {} node(s) of an earlier run that are not in the pool: {}",
          gone.size(), gone);
    }
    return this;
  }

  private void pruneMember(UniqueAddress removed) {
    if (selfUp) {
      for (NodeRecord r : Membership.recordsOf(others(), removed)) {
        getContext().getLog().info("Node {} left the cluster ({}); pruning its record", r.id(), removed.address());
        remove(r.id());
      }
    }
  }

  /** The replicated records of the other nodes. */
  private List<NodeRecord> others() {
    List<NodeRecord> out = new ArrayList<>(replicated.values());
    out.removeIf(r -> r.id().equals(self.id()));
    return out;
  }

  private void remove(String peerId) {
    replicated.remove(peerId);
    opened.remove(peerId);
    update(Replicator.writeLocal(), map -> map.remove(selfNode, peerId), Written::new);
  }

  private void writeSelf(Replicator.WriteConsistency consistency) {
    writeSelf(consistency, Written::new);
  }

  private void writeSelf(Replicator.WriteConsistency consistency,
      Function<Replicator.UpdateResponse<LWWMap<String, SignedRecord>>, Command> written) {
    NodeRecord record = self;
    SignedRecord sealed = seal.seal(record);
    update(consistency, map -> map.put(selfNode, record.id(), sealed), written);
  }

  private void update(Replicator.WriteConsistency consistency,
      Function<LWWMap<String, SignedRecord>, LWWMap<String, SignedRecord>> modify,
      Function<Replicator.UpdateResponse<LWWMap<String, SignedRecord>>, Command> written) {
    replicator.askUpdate(replyTo -> new Replicator.Update<>(KEY, LWWMap.empty(), consistency, replyTo, modify::apply),
        written::apply);
    snapshots.changed();
  }

  private Replicator.WriteConsistency writeAll() {
    return new Replicator.WriteAll(settings.writeAllTimeout());
  }

  /** The snapshot of this version: the replicated records, our own latest record, our connectivity view. */
  private NodeTable snapshot(long version) {
    Map<String, NodeRecord> records = new HashMap<>(replicated);
    records.put(self.id(), self);
    Set<String> connected = new HashSet<>();
    records.values().stream().filter(membership::isConnected).forEach(r -> connected.add(r.id()));
    connected.add(self.id());
    return new NodeTable(version, self.id(), records, connected, rejected);
  }

  static long nowSeconds() {
    return System.currentTimeMillis() / 1000;
  }
}
