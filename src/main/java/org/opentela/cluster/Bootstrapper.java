package org.opentela.cluster;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.cluster.typed.SelfUp;
import org.apache.pekko.cluster.typed.Subscribe;
import org.opentela.identity.NodeIdentity;
import org.opentela.identity.PeerId;

/**
 * Joins the cluster. A node that bootstraps itself joins itself at once. Otherwise it asks each
 * bootstrap address who it is (see {@link PeerIdentity}) until one answers with the expected peer id,
 * then joins the verified addresses as seed nodes. A peer that answers with another id is a typo or the
 * wrong pool: the node reports both ids and stops. Unreachable addresses are retried forever, with a
 * "waiting" line every 10 s.
 */
public final class Bootstrapper extends AbstractBehavior<Bootstrapper.Command> {

  public sealed interface Command {}

  private record Answered(Multiaddr addr, byte[] nonce, PeerIdentity.Reply reply) implements Command {}

  private record WasUp() implements Command {}

  private enum Tick implements Command { ASK, REPORT, NO_ANSWER }

  /** What this node is and where it may join. */
  public record Plan(NodeIdentity identity, String version, boolean selfBootstraps, List<Multiaddr> bootstrap,
      Duration retryInterval) {}

  /** Called with a message when the node must stop because joining can never succeed. */
  public interface FatalHandler extends Consumer<String> {}

  public static Behavior<Command> create(Plan plan, FatalHandler fatal) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Bootstrapper(ctx, timers, plan, fatal)));
  }

  private static final Duration REPORT_EVERY = Duration.ofSeconds(10);

  private final TimerScheduler<Command> timers;
  private final Plan plan;
  private final FatalHandler fatal;
  private final Cluster cluster;
  private final SecureRandom random = new SecureRandom();
  private final Set<Multiaddr> verified = new LinkedHashSet<>();
  private final long startedNanos = System.nanoTime();
  private boolean joinRequested;
  private boolean up;

  private Bootstrapper(ActorContext<Command> ctx, TimerScheduler<Command> timers, Plan plan, FatalHandler fatal) {
    super(ctx);
    this.timers = timers;
    this.plan = plan;
    this.fatal = fatal;
    this.cluster = Cluster.get(ctx.getSystem());
    cluster.subscriptions().tell(Subscribe.create(ctx.messageAdapter(SelfUp.class, e -> new WasUp()), SelfUp.class));
    if (plan.selfBootstraps()) {
      // A head that forms the pool: itself first (it may form the cluster alone), other heads after.
      List<Address> seeds = new ArrayList<>();
      seeds.add(cluster.selfMember().address());
      plan.bootstrap().forEach(a -> seeds.add(a.toPekkoAddress(ctx.getSystem().name())));
      cluster.manager().tell(new JoinSeedNodes(seeds));
      joinRequested = true;
    } else {
      ask();
      timers.startTimerWithFixedDelay(Tick.ASK, plan.retryInterval());
      timers.startTimerWithFixedDelay(Tick.REPORT, REPORT_EVERY);
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.ASK, () -> {
          ask();
          return this;
        })
        .onMessageEquals(Tick.REPORT, this::report)
        .onMessageEquals(Tick.NO_ANSWER, () -> this)
        .onMessage(Answered.class, this::onAnswered)
        .onMessage(WasUp.class, m -> {
          up = true;
          timers.cancelAll();
          getContext().getLog().info("Joined the cluster: this node is Up ({} s after start)", elapsedSeconds());
          return Behaviors.empty();
        })
        .build();
  }

  private void ask() {
    ActorRefResolver resolver = ActorRefResolver.get(getContext().getSystem());
    for (Multiaddr addr : plan.bootstrap()) {
      if (verified.contains(addr)) {
        continue;
      }
      byte[] nonce = new byte[16];
      random.nextBytes(nonce);
      String path = addr.toPekkoAddress(getContext().getSystem().name()) + "/user/" + PeerIdentity.NAME;
      ActorRef<PeerIdentity.Command> peer = resolver.resolveActorRef(path);
      String self = cluster.selfMember().address().toString();
      getContext().ask(PeerIdentity.Reply.class, peer, plan.retryInterval(),
          replyTo -> new PeerIdentity.Hello(plan.identity().peerId(), plan.version(), self, nonce, replyTo),
          (reply, failure) -> reply != null ? new Answered(addr, nonce, reply) : Tick.NO_ANSWER);
    }
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
      fatal.accept("Bootstrap peer " + m.addr() + " answered with an identity it could not prove (peer id "
          + r.peerId() + "); refusing to join it");
      return Behaviors.stopped();
    }
    if (!r.peerId().equals(m.addr().peerId())) {
      fatal.accept("Bootstrap address " + m.addr() + " names peer " + m.addr().peerId() + ", but the node at "
          + m.addr().host() + ":" + m.addr().port() + " is peer " + r.peerId() + ". Check --bootstrap.addr against"
          + " the 'Peer ID:' line the head printed; refusing to join the wrong cluster");
      return Behaviors.stopped();
    }
    if (r.refusal() != null) {
      fatal.accept("Bootstrap peer " + m.addr() + " refused this node: " + r.refusal());
      return Behaviors.stopped();
    }
    if (r.peerId().equals(plan.identity().peerId())) {
      fatal.accept("Bootstrap address " + m.addr() + " is this node itself (peer " + r.peerId()
          + "); give a worker a different --seed than the head, or start a head with --mode standalone");
      return Behaviors.stopped();
    }
    verified.add(m.addr());
    getContext().getLog().info("Bootstrap peer {} verified ({} {}, version {}); joining",
        m.addr(), r.role(), r.peerId(), r.version());
    if (!joinRequested) {
      joinRequested = true;
      List<Address> seeds = new ArrayList<>();
      verified.forEach(a -> seeds.add(a.toPekkoAddress(getContext().getSystem().name())));
      cluster.manager().tell(new JoinSeedNodes(seeds));
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
