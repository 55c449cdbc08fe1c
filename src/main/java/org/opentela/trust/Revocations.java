package org.opentela.trust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.ORSet;
import org.apache.pekko.cluster.ddata.ORSetKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.TableKeeper;

/**
 * The pool's deny list: revoked peer ids, replicated to every node (Distributed Data, durable).
 *
 * <p>On every node it keeps the TLS engine's {@link DenyList} current, so a revoked node's handshakes are
 * refused, and stops this node if it is the one revoked. On the head that holds the pool CA it reads the
 * {@code revoked} file ({@code otela nodes revoke}) every second and adds what is new. On heads it also
 * downs the cluster member of a revoked peer: only heads remove members for revocation.
 */
public final class Revocations extends AbstractBehavior<Revocations.Command> {
  static final Key<ORSet<String>> KEY = ORSetKey.create("pool-deny-list");
  private static final Duration POLL = Duration.ofSeconds(1);

  public sealed interface Command {}

  /** Told to the node's parent: this node itself was revoked. */
  public record SelfRevoked(String message) {}

  private record Changed(Replicator.SubscribeResponse<ORSet<String>> response) implements Command {}

  private record Updated(Replicator.UpdateResponse<ORSet<String>> response) implements Command {}

  private record TableUpdated(NodeTable table) implements Command {}

  private enum Tick implements Command { POLL_FILE }

  private final ReplicatorMessageAdapter<Command, ORSet<String>> replicator;
  private final SelfUniqueAddress selfNode;
  private final DenyList denyList;
  private final Optional<PoolDir> poolDir;
  private final boolean head;
  private final String selfId;
  private final ActorRef<SelfRevoked> parent;
  private final Set<String> downed = new HashSet<>();
  private FileTime fileSeen;
  private NodeTable table;
  /** Writes of new revocations by this head still spreading to every node (see {@link #onUpdated}). */
  private int writing;

  /** {@code poolDir}: present on the head that holds the CA; {@code head}: whether this node downs revoked members. */
  public static Behavior<Command> create(PoolTrust trust, String selfId, boolean head,
      ActorRef<TableKeeper.Command> keeper, ActorRef<SelfRevoked> parent) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(Revocations.class);
      return Behaviors.withTimers(timers -> DistributedData.<Command, ORSet<String>>withReplicatorMessageAdapter(
          replicator -> {
            if (trust.poolDir().isPresent()) {
              timers.startTimerWithFixedDelay(Tick.POLL_FILE, POLL);
            }
            return new Revocations(ctx, replicator, trust, selfId, head, keeper, parent);
          }));
    });
  }

  private Revocations(ActorContext<Command> ctx, ReplicatorMessageAdapter<Command, ORSet<String>> replicator,
      PoolTrust trust, String selfId, boolean head, ActorRef<TableKeeper.Command> keeper, ActorRef<SelfRevoked> parent) {
    super(ctx);
    this.replicator = replicator;
    this.selfNode = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    this.denyList = trust.denyList();
    this.poolDir = trust.poolDir();
    this.head = head;
    this.selfId = selfId;
    this.parent = parent;
    replicator.subscribe(KEY, Changed::new);
    if (head) {
      keeper.tell(new TableKeeper.Subscribe(ctx.messageAdapter(NodeTable.class, TableUpdated::new)));
    }
    pollFile();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Changed.class, this::onChanged)
        .onMessage(Updated.class, this::onUpdated)
        .onMessage(TableUpdated.class, this::onTableUpdated)
        .onMessageEquals(Tick.POLL_FILE, this::onPollFile)
        .build();
  }

  /**
   * This head's write of new revocations reached every node (or timed out): only now are their members
   * downed, so that a revoked node has been told, and stops itself, rather than being cut off first.
   */
  private Behavior<Command> onUpdated(Updated m) {
    writing--;
    downRevoked();
    return this;
  }

  private Behavior<Command> onTableUpdated(TableUpdated m) {
    table = m.table();
    downRevoked();
    return this;
  }

  private Behavior<Command> onPollFile() {
    pollFile();
    return this;
  }

  private Behavior<Command> onChanged(Changed m) {
    if (m.response() instanceof Replicator.Changed<ORSet<String>> changed) {
      Set<String> ids = changed.get(KEY).getElements();
      Set<String> added = new HashSet<>(ids);
      added.removeAll(denyList.all());
      denyList.replace(ids);
      if (!added.isEmpty()) {
        getContext().getLog().info("Revoked from the pool: {} (refused at every handshake from now on)", added);
      }
      if (ids.contains(selfId)) {
        parent.tell(new SelfRevoked("This node (" + selfId + ") was revoked from the pool by its admin: it may not"
            + " rejoin with this identity. Stopping."));
      }
      downRevoked();
    }
    return this;
  }

  /** Reads the revoked file when it changed, and adds peer ids the replicated list does not have yet. */
  private void pollFile() {
    if (poolDir.isEmpty()) {
      return;
    }
    try {
      if (!Files.exists(poolDir.get().revokedFile())) {
        return;
      }
      FileTime modified = Files.getLastModifiedTime(poolDir.get().revokedFile());
      if (modified.equals(fileSeen)) {
        return;
      }
      fileSeen = modified;
      Set<String> fresh = new HashSet<>(poolDir.get().revoked());
      fresh.removeAll(denyList.all());
      if (!fresh.isEmpty()) {
        getContext().getLog().info("Revoking {} (from {})", fresh, poolDir.get().revokedFile());
        writing++;
        replicator.askUpdate(replyTo -> new Replicator.Update<>(KEY, ORSet.empty(),
                new Replicator.WriteAll(Duration.ofSeconds(3)), replyTo, set -> {
                  ORSet<String> next = set;
                  for (String id : fresh) {
                    next = next.add(selfNode, id);
                  }
                  return next;
                }), Updated::new);
      }
    } catch (IOException e) {
      getContext().getLog().warn("Cannot read the revoked peer ids in {}", poolDir.get().revokedFile(), e);
    }
  }

  /** On a head: down the member of every revoked peer still in the table. */
  private void downRevoked() {
    if (!head || table == null || writing > 0) {
      return;
    }
    for (NodeRecord r : table.records().values()) {
      if (denyList.contains(r.id()) && !r.id().equals(selfId) && !r.clusterAddress().isEmpty()
          && downed.add(r.clusterAddress() + "#" + r.clusterUid())) {
        getContext().getLog().warn("Peer {} is revoked: removing its member {} from the cluster", r.id(),
            r.clusterAddress());
        Cluster.get(getContext().getSystem()).manager().tell(new Down(AddressFromURIString.parse(r.clusterAddress())));
      }
    }
  }
}
