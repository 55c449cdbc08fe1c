package org.opentela.table;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The {@link NodeTable} snapshots a {@link TableKeeper} publishes, and who gets them. A change marks the
 * snapshot stale and asks for one rebuild after the messages already in the keeper's mailbox: a burst of
 * membership events or table changes (a pool of N nodes starting sees O(N) of them, each with O(N)
 * records) becomes one snapshot instead of one per event, and subscribers still see every change at once.
 * Owned by one keeper, used on its thread only.
 */
final class Snapshots {
  private final Runnable requestRebuild;
  private final LongFunction<NodeTable> build;
  private final List<ActorRef<NodeTable>> subscribers = new ArrayList<>();
  private NodeTable table;
  private long version;
  /** A change is not yet in {@link #table}; a rebuild is requested. */
  private boolean stale;

  /**
   * {@code build} makes the snapshot of a version from the keeper's state; {@code requestRebuild} sends
   * the keeper the message on which it calls {@link #current()}.
   */
  Snapshots(NodeTable empty, LongFunction<NodeTable> build, Runnable requestRebuild) {
    this.table = empty;
    this.build = build;
    this.requestRebuild = requestRebuild;
  }

  /** Something in the table changed: subscribers get a new snapshot soon. */
  void changed() {
    if (!stale) {
      stale = true;
      requestRebuild.run();
    }
  }

  /** The latest snapshot, rebuilt and sent to the subscribers now if a change is pending. */
  NodeTable current() {
    if (stale) {
      stale = false;
      table = build.apply(++version);
      for (ActorRef<NodeTable> s : subscribers) {
        s.tell(table);
      }
    }
    return table;
  }

  /** Sends {@code subscriber} the current snapshot now, and every later one. */
  void subscribe(ActorRef<NodeTable> subscriber) {
    NodeTable now = current();
    subscribers.add(subscriber);
    subscriber.tell(now);
  }

  void unsubscribe(ActorRef<NodeTable> subscriber) {
    subscribers.remove(subscriber);
  }
}
