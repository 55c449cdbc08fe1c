package org.opentela.auth;

import java.math.BigInteger;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.PNCounterMap;
import org.apache.pekko.cluster.ddata.PNCounterMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;

/**
 * Makes usage durable and pool-wide: every {@code usage_flush_interval} it moves this node's new counts
 * ({@link UsageCounts}) into one Distributed Data counter map per UTC day ({@code api-usage-YYYY-MM-DD},
 * durable, entries {@code keyId|model|metric}). Each node increments only its own part of a counter, so
 * the sum over heads is exact, and a restarted head reads its counts back from its durable store.
 * Answers usage queries for a range of days from the local replica, after flushing its own counts.
 */
public final class UsageKeeper extends AbstractBehavior<UsageKeeper.Command> {
  static final String KEY_PREFIX = "api-usage-";
  /** The longest range a query may ask for, in days. */
  public static final int MAX_DAYS = 366;

  public sealed interface Command {}

  /** Usage per day, key and model, for the days {@code from..to} (inclusive), of one key id or all (null). */
  public record Query(LocalDate from, LocalDate to, String keyId, ActorRef<Report> replyTo) implements Command {}

  /** Writes this node's counts now; {@code replyTo} hears when they are written (for a graceful stop). */
  public record Flush(ActorRef<Done> replyTo) implements Command {}

  /** One row of a report: what a key used of a model on a day. */
  public record Row(LocalDate day, String keyId, String model, UsageCounts.Counts counts) {}

  public record Report(List<Row> rows) {}

  private record Flushed(ActorRef<Done> replyTo) implements Command {}

  private record DayRead(long queryId, LocalDate day, Replicator.GetResponse<PNCounterMap<String>> response)
      implements Command {}

  private enum Tick implements Command { FLUSH }

  /** A query waiting for the reads of its days. */
  private static final class Pending {
    final Query query;
    int waiting;
    final List<Row> rows = new ArrayList<>();

    Pending(Query query, int waiting) {
      this.query = query;
      this.waiting = waiting;
    }
  }

  public static Behavior<Command> create(UsageCounts counts, Duration flushInterval) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(UsageKeeper.class);
      return Behaviors.withTimers(timers -> {
        timers.startTimerWithFixedDelay(Tick.FLUSH, flushInterval);
        return DistributedData.<Command, PNCounterMap<String>>withReplicatorMessageAdapter(replicator ->
            new UsageKeeper(ctx, replicator, counts));
      });
    });
  }

  private final ReplicatorMessageAdapter<Command, PNCounterMap<String>> replicator;
  private final SelfUniqueAddress selfNode;
  private final UsageCounts counts;
  private final Map<Long, Pending> pending = new HashMap<>();
  private long nextQuery;

  private UsageKeeper(ActorContext<Command> ctx, ReplicatorMessageAdapter<Command, PNCounterMap<String>> replicator,
      UsageCounts counts) {
    super(ctx);
    this.replicator = replicator;
    this.counts = counts;
    this.selfNode = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
  }

  static Key<PNCounterMap<String>> dayKey(LocalDate day) {
    return PNCounterMapKey.create(KEY_PREFIX + day);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.FLUSH, this::onFlushTick)
        .onMessage(Flush.class, this::onFlush)
        .onMessage(Flushed.class, this::onFlushed)
        .onMessage(Query.class, this::onQuery)
        .onMessage(DayRead.class, this::onDayRead)
        .build();
  }

  private Behavior<Command> onFlushTick() {
    flush(null);
    return this;
  }

  private Behavior<Command> onFlush(Flush m) {
    flush(m.replyTo());
    return this;
  }

  private Behavior<Command> onFlushed(Flushed m) {
    if (m.replyTo() != null) {
      m.replyTo().tell(Done.getInstance());
    }
    return this;
  }

  /** Writes the counts since the last flush, one local update per day; {@code replyTo} hears after the last. */
  private void flush(ActorRef<Done> replyTo) {
    Map<Long, Map<String, Long>> byDay = new TreeMap<>();
    counts.drain().forEach((s, c) -> {
      Map<String, Long> entries = byDay.computeIfAbsent(s.day(), d -> new HashMap<>());
      String series = s.keyId() + "|" + s.model().replace('|', '/');
      put(entries, series + "|r", c.requests());
      put(entries, series + "|p", c.prompt());
      put(entries, series + "|c", c.completion());
      put(entries, series + "|e", c.errors());
    });
    if (byDay.isEmpty()) {
      if (replyTo != null) {
        replyTo.tell(Done.getInstance());
      }
      return;
    }
    int left = byDay.size();
    for (Map.Entry<Long, Map<String, Long>> day : byDay.entrySet()) {
      boolean last = --left == 0;
      Map<String, Long> entries = day.getValue();
      replicator.askUpdate(r -> new Replicator.Update<>(dayKey(LocalDate.ofEpochDay(day.getKey())),
              PNCounterMap.empty(), Replicator.writeLocal(), r, map -> {
                PNCounterMap<String> m = map;
                for (Map.Entry<String, Long> e : entries.entrySet()) {
                  m = m.increment(selfNode, e.getKey(), e.getValue());
                }
                return m;
              }),
          rsp -> new Flushed(last ? replyTo : null));
    }
  }

  private static void put(Map<String, Long> entries, String name, long n) {
    if (n != 0) {
      entries.merge(name, n, Long::sum);
    }
  }

  private Behavior<Command> onQuery(Query q) {
    flush(null);
    long id = ++nextQuery;
    int days = (int) (q.to().toEpochDay() - q.from().toEpochDay()) + 1;
    pending.put(id, new Pending(q, days));
    for (LocalDate d = q.from(); !d.isAfter(q.to()); d = d.plusDays(1)) {
      LocalDate day = d;
      replicator.askGet(r -> new Replicator.Get<>(dayKey(day), Replicator.readLocal(), r),
          rsp -> new DayRead(id, day, rsp));
    }
    return this;
  }

  private Behavior<Command> onDayRead(DayRead m) {
    Pending p = pending.get(m.queryId());
    if (p == null) {
      return this;
    }
    if (m.response() instanceof Replicator.GetSuccess<PNCounterMap<String>> ok) {
      p.rows.addAll(rows(m.day(), ok.get(dayKey(m.day())).getEntries(), p.query.keyId()));
    }
    if (--p.waiting == 0) {
      pending.remove(m.queryId());
      p.rows.sort(Comparator.comparing(Row::day).thenComparing(Row::keyId).thenComparing(Row::model));
      p.query.replyTo().tell(new Report(List.copyOf(p.rows)));
    }
    return this;
  }

  private static List<Row> rows(LocalDate day, Map<String, BigInteger> entries, String keyFilter) {
    Map<String, long[]> bySeries = new TreeMap<>();
    entries.forEach((name, value) -> {
      int metricAt = name.lastIndexOf('|');
      int modelAt = name.indexOf('|');
      if (metricAt <= modelAt || modelAt < 0) {
        return;
      }
      String keyId = name.substring(0, modelAt);
      if (keyFilter != null && !keyFilter.equals(keyId)) {
        return;
      }
      long[] c = bySeries.computeIfAbsent(name.substring(0, metricAt), k -> new long[4]);
      int i = switch (name.substring(metricAt + 1)) {
        case "r" -> 0;
        case "p" -> 1;
        case "c" -> 2;
        case "e" -> 3;
        default -> -1;
      };
      if (i >= 0) {
        c[i] += value.longValue();
      }
    });
    List<Row> out = new ArrayList<>();
    bySeries.forEach((series, c) -> {
      int at = series.indexOf('|');
      out.add(new Row(day, series.substring(0, at), series.substring(at + 1),
          new UsageCounts.Counts(c[0], c[1], c[2], c[3])));
    });
    return out;
  }
}
