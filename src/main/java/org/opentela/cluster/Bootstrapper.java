package org.opentela.cluster;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.cluster.typed.SelfUp;
import org.apache.pekko.cluster.typed.Subscribe;
import org.opentela.identity.NodeIdentity;
import org.opentela.identity.PeerId;
import org.opentela.table.NodeRecord;
import org.opentela.table.TableKeeper;

/**
 * Joins the cluster.
 *
 * <p>A worker asks each bootstrap address who it is ({@link PeerIdentity}) until one answers with the
 * expected peer id, then joins the verified addresses. A peer that answers with another id is a typo or
 * the wrong pool, and one that refuses the node (version, duplicate id) says why: either way the node
 * reports it and stops. Unreachable addresses are retried forever, with a "waiting" line every 10 s.
 *
 * <p>A head reads the members it remembers from its durable table, and joins them and the other heads
 * given with --bootstrap.addr (see {@link SeedNodes}): a restarted head rejoins the running pool instead
 * of founding a new one. A head that still ends up alone while a remembered peer is up in another
 * cluster (it was cut off and formed its own) asks for a restart of its member, which then rejoins.
 */
public final class Bootstrapper extends AbstractBehavior<Bootstrapper.Command> {

  public sealed interface Command {}

  private record Answered(Multiaddr addr, byte[] nonce, PeerIdentity.Reply reply) implements Command {}

  private record Remembered(List<NodeRecord> records) implements Command {}

  /** A bootstrap peer (or a remembered one) did not answer the identity question in time. */
  private record NoAnswer(String peer, Throwable failure) implements Command {}

  private record IslandAnswer(PeerIdentity.Reply reply) implements Command {}

  private record WasUp() implements Command {}

  private enum Tick implements Command { ASK, REPORT, SELF_JOIN, ISLAND_CHECK }

  /** What this node is and where it may join. */
  public record Plan(NodeIdentity identity, String version, boolean selfBootstraps, List<Multiaddr> bootstrap,
      Duration retryInterval) {}

  /** What the node must do when joining cannot work as it is, told to the node's parent. */
  public sealed interface Verdict {}

  /** Joining is impossible as configured (wrong peer, refused): stop the node with this message. */
  public record Fatal(String message) implements Verdict {}

  /** This node formed an island while its pool runs elsewhere: replace its member so that it rejoins. */
  public record Restart(String why) implements Verdict {}

  /** {@code keeper} tells a head whom it remembers; {@code verdicts} hears when joining cannot go on. */
  public static Behavior<Command> create(Plan plan, ActorRef<TableKeeper.Command> keeper, ActorRef<Verdict> verdicts) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(Bootstrapper.class);
      return Behaviors.withTimers(timers -> new Bootstrapper(ctx, timers, plan, keeper, verdicts));
    });
  }

  private static final Duration REPORT_EVERY = Duration.ofSeconds(10);
  /** A head that may not form the pool alone does so anyway after this long without an answer. */
  private static final Duration SELF_JOIN_AFTER = Duration.ofSeconds(30);
  private static final Duration ISLAND_CHECK_EVERY = Duration.ofSeconds(10);

  private final TimerScheduler<Command> timers;
  private final Plan plan;
  private final ActorRef<Verdict> verdicts;
  private final Cluster cluster;
  private final SecureRandom random = new SecureRandom();
  private final Set<Multiaddr> verified = new LinkedHashSet<>();
  private final long startedNanos = System.nanoTime();
  private List<Address> remembered = List.of();
  private boolean joinRequested;
  private boolean up;
  private int aloneChecks;
  private final ActorRef<TableKeeper.Command> keeper;

  private Bootstrapper(ActorContext<Command> ctx, TimerScheduler<Command> timers, Plan plan,
      ActorRef<TableKeeper.Command> keeper, ActorRef<Verdict> verdicts) {
    super(ctx);
    this.timers = timers;
    this.plan = plan;
    this.verdicts = verdicts;
    this.keeper = keeper;
    this.cluster = Cluster.get(ctx.getSystem());
    cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(SelfUp.class, e -> new WasUp()), SelfUp.class));
    if (plan.selfBootstraps()) {
      // Answered once the durable store is loaded: nothing is forgotten for being read too early.
      ctx.ask(TableKeeper.Remembered.class, keeper, Duration.ofSeconds(10), TableKeeper.GetRemembered::new,
          (response, err) -> new Remembered(response == null ? List.of() : response.records()));
    }
    if (!plan.bootstrap().isEmpty()) {
      ask();
      timers.startTimerWithFixedDelay(Tick.ASK, plan.retryInterval());
      timers.startTimerWithFixedDelay(Tick.REPORT, REPORT_EVERY);
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.ASK, this::onAskTick)
        .onMessageEquals(Tick.REPORT, this::report)
        .onMessage(NoAnswer.class, this::onNoAnswer)
        .onMessage(Remembered.class, this::onRemembered)
        .onMessage(Answered.class, this::onAnswered)
        .onMessageEquals(Tick.SELF_JOIN, this::onSelfJoinTick)
        .onMessageEquals(Tick.ISLAND_CHECK, this::checkIsland)
        .onMessage(IslandAnswer.class, this::onIslandAnswer)
        .onMessage(WasUp.class, this::onUp)
        .build();
  }

  private Behavior<Command> onAskTick() {
    ask();
    return this;
  }

  private Behavior<Command> onSelfJoinTick() {
    if (!up) {
      getContext().getLog().warn("No other head or remembered member answered in {} s: forming the pool"
          + " from this head", SELF_JOIN_AFTER.toSeconds());
      cluster.manager().tell(new JoinSeedNodes(List.of(cluster.selfMember().address())));
    }
    return this;
  }

  private Behavior<Command> onUp(WasUp m) {
    up = true;
    timers.cancel(Tick.REPORT);
    timers.cancel(Tick.SELF_JOIN);
    if (!plan.selfBootstraps()) {
      timers.cancel(Tick.ASK);
    } else if (!remembered.isEmpty() || !plan.bootstrap().isEmpty()) {
      timers.startTimerWithFixedDelay(Tick.ISLAND_CHECK, ISLAND_CHECK_EVERY);
    }
    getContext().getLog().info("Joined the cluster: this node is Up ({} s after start)", elapsedSeconds());
    if (plan.selfBootstraps() && !remembered.isEmpty() && alone()) {
      // None of the remembered members came back within the seed nodes' wait: say so once, and start with
      // a fresh table rather than the earlier run's rows (a stale "draining" worker, nodes long gone).
      getContext().getLog().info("None of the {} node(s) this head remembers from an earlier run answered:"
          + " starting a fresh pool (their rows are dropped; a node that comes back joins as usual)", remembered.size());
      keeper.tell(new TableKeeper.ForgetAbsent());
    }
    return this;
  }

  /** True if this node is the only member of its cluster. */
  private boolean alone() {
    for (org.apache.pekko.cluster.Member member : cluster.state().getMembers()) {
      if (!member.address().equals(cluster.selfMember().address())) {
        return false;
      }
    }
    return true;
  }

  private Behavior<Command> onRemembered(Remembered m) {
    String selfId = plan.identity().peerId();
    String selfAddress = cluster.selfMember().address().toString();
    List<Address> addrs = new ArrayList<>();
    for (NodeRecord r : m.records()) {
      if (!r.id().equals(selfId) && !r.clusterAddress().isEmpty() && !r.clusterAddress().equals(selfAddress)) {
        try {
          addrs.add(AddressFromURIString.parse(r.clusterAddress()));
        } catch (RuntimeException e) {
          getContext().getLog().debug("ignoring a remembered address that does not parse: {}", r.clusterAddress());
        }
      }
    }
    remembered = addrs;
    List<SeedNodes.Peer> heads = new ArrayList<>();
    plan.bootstrap().forEach(a -> heads.add(new SeedNodes.Peer(a.peerId(), a.toPekkoAddress(getContext().getSystem().name()))));
    List<Address> seeds = SeedNodes.forHead(selfId, cluster.selfMember().address(), heads, remembered);
    if (!remembered.isEmpty()) {
      getContext().getLog().info("Rejoining the pool this head remembers ({} member(s) in its table)", remembered.size());
    }
    cluster.manager().tell(new JoinSeedNodes(seeds));
    joinRequested = true;
    if (!SeedNodes.formsPool(selfId, heads)) {
      timers.startSingleTimer(Tick.SELF_JOIN, SELF_JOIN_AFTER);
    }
    return this;
  }

  private void ask() {
    ActorRefResolver resolver = ActorRefResolver.get(getContext().getSystem());
    for (Multiaddr addr : plan.bootstrap()) {
      if (verified.contains(addr)) {
        continue;
      }
      byte[] nonce = new byte[16];
      random.nextBytes(nonce);
      ActorRef<PeerIdentity.Command> peer = resolver.resolveActorRef(identityPath(addr.toPekkoAddress(
          getContext().getSystem().name())));
      getContext().ask(PeerIdentity.Reply.class, peer, plan.retryInterval(),
          replyTo -> hello(nonce, replyTo),
          (reply, failure) -> reply != null ? new Answered(addr, nonce, reply) : new NoAnswer(addr.toString(), failure));
    }
  }

  private PeerIdentity.Hello hello(byte[] nonce, ActorRef<PeerIdentity.Reply> replyTo) {
    return new PeerIdentity.Hello(plan.identity().peerId(), plan.version(), cluster.selfMember().address().toString(),
        nonce, replyTo);
  }

  private static String identityPath(Address a) {
    return a + "/user/" + PeerIdentity.NAME;
  }

  private Behavior<Command> onAnswered(Answered m) {
    if (verified.contains(m.addr())) {
      return this;
    }
    PeerIdentity.Reply r = m.reply();
    boolean proven = r.peerId() != null && r.publicKey() != null
        && r.peerId().equals(PeerId.fromPublicKey(r.publicKey()))
        && NodeIdentity.verify(r.publicKey(), m.nonce(), r.signature());
    if (!proven) {
      return fatal("Bootstrap peer " + m.addr() + " answered with an identity it could not prove (peer id "
          + r.peerId() + "); refusing to join it");
    }
    if (!r.peerId().equals(m.addr().peerId())) {
      return fatal("Bootstrap address " + m.addr() + " names peer " + m.addr().peerId() + ", but the node at "
          + m.addr().host() + ":" + m.addr().port() + " is peer " + r.peerId() + ". Check --bootstrap.addr against"
          + " the 'Peer ID:' line the head printed; refusing to join the wrong cluster");
    }
    if (r.refusal() != null) {
      return fatal("Bootstrap peer " + m.addr() + " refused this node: " + r.refusal());
    }
    verified.add(m.addr());
    getContext().getLog().info("Bootstrap peer {} verified ({} {}, version {})", m.addr(), r.role(), r.peerId(),
        r.version());
    if (!joinRequested && !plan.selfBootstraps()) {
      joinRequested = true;
      List<Address> seeds = new ArrayList<>();
      verified.forEach(a -> seeds.add(a.toPekkoAddress(getContext().getSystem().name())));
      cluster.manager().tell(new JoinSeedNodes(seeds));
    }
    return this;
  }

  /** Unanswered peers are retried on the next tick, and reported every 10 s by {@link #report()}. */
  private Behavior<Command> onNoAnswer(NoAnswer m) {
    getContext().getLog().debug("No identity answer from {}: {}", m.peer(), m.failure().toString());
    return this;
  }

  private Behavior<Command> fatal(String message) {
    verdicts.tell(new Fatal(message));
    return Behaviors.stopped();
  }

  /** A head alone in its cluster asks the peers it knows whether they are up elsewhere. */
  private Behavior<Command> checkIsland() {
    long upMembers = 0;
    for (var member : cluster.state().getMembers()) {
      if (member.status() == MemberStatus.up() || member.status() == MemberStatus.weaklyUp()) {
        upMembers++;
      }
    }
    aloneChecks = upMembers <= 1 ? aloneChecks + 1 : 0;
    if (aloneChecks < 2) {
      return this;
    }
    ActorRefResolver resolver = ActorRefResolver.get(getContext().getSystem());
    Set<Address> peers = new LinkedHashSet<>(remembered);
    plan.bootstrap().forEach(a -> peers.add(a.toPekkoAddress(getContext().getSystem().name())));
    for (Address a : peers) {
      ActorRef<PeerIdentity.Command> peer = resolver.resolveActorRef(identityPath(a));
      byte[] nonce = new byte[16];
      random.nextBytes(nonce);
      getContext().ask(PeerIdentity.Reply.class, peer, Duration.ofSeconds(3), replyTo -> hello(nonce, replyTo),
          (reply, failure) -> reply != null ? new IslandAnswer(reply) : new NoAnswer(a.toString(), failure));
    }
    return this;
  }

  private Behavior<Command> onIslandAnswer(IslandAnswer m) {
    if (aloneChecks >= 2 && m.reply().upMembers() > 0 && !m.reply().knowsCaller()) {
      aloneChecks = 0;
      verdicts.tell(new Restart("This head is alone, but peer " + m.reply().peerId() + " is up in a pool of "
          + m.reply().upMembers() + " member(s): restarting this head's member to rejoin it"));
    }
    return this;
  }

  private Behavior<Command> report() {
    if (up) {
      return this;
    }
    if (verified.isEmpty()) {
      for (Multiaddr addr : plan.bootstrap()) {
        getContext().getLog().info("Waiting for bootstrap peer {} ({} s): no answer yet; is it running, is tcp"
            + " port {} reachable from here, and is {} the address it printed at start?",
            addr, elapsedSeconds(), addr.port(), addr.host());
      }
    } else {
      getContext().getLog().info("Waiting to be accepted into the cluster via {} ({} s)", verified, elapsedSeconds());
    }
    return this;
  }

  private long elapsedSeconds() {
    return Duration.ofNanos(System.nanoTime() - startedNanos).toSeconds();
  }
}
