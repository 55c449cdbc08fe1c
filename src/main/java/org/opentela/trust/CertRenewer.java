package org.opentela.trust;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.opentela.identity.NodeIdentity;

/**
 * Renews this node's certificate when two thirds of its lifetime have passed, and retries (every tenth of
 * the lifetime, at most 30 s apart) while no head answers. The TLS engine reads the new file when its
 * cached context expires (a tenth of the lifetime), long before the old certificate does. Connections
 * already open are not affected: a certificate is only checked at a handshake.
 */
public final class CertRenewer {
  public sealed interface Command {}

  private enum Tick implements Command { RENEW }

  private record Renewed(X509Certificate cert) implements Command {}

  private record RenewFailed(Throwable cause) implements Command {}

  private CertRenewer() {}

  public static Behavior<Command> create(PoolTrust trust, NodeIdentity identity) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(CertRenewer.class);
      return Behaviors.withTimers(timers -> {
        try {
          schedule(timers, trust.tls().get().readCert());
        } catch (IOException e) {
          ctx.getLog().warn("Cannot read this node's certificate to plan its renewal; trying to renew now", e);
          timers.startSingleTimer(Tick.RENEW, Duration.ofSeconds(1));
        }
        return running(ctx, timers, trust, identity);
      });
    });
  }

  private static Behavior<Command> running(ActorContext<Command> ctx, TimerScheduler<Command> timers, PoolTrust trust,
      NodeIdentity identity) {
    return Behaviors.receive(Command.class)
        .onMessageEquals(Tick.RENEW, () -> renew(ctx, trust, identity))
        .onMessage(Renewed.class, m -> onRenewed(ctx, timers, m))
        .onMessage(RenewFailed.class, m -> onRenewFailed(ctx, timers, trust, m))
        .build();
  }

  private static Behavior<Command> renew(ActorContext<Command> ctx, PoolTrust trust, NodeIdentity identity) {
    CompletableFuture<X509Certificate> renewal = CompletableFuture.supplyAsync(() -> {
      try {
        return trust.renew(identity);
      } catch (IOException e) {
        throw new CompletionException(e);
      }
    }, ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking()));
    ctx.pipeToSelf(renewal, (cert, err) -> err == null ? new Renewed(cert) : new RenewFailed(err));
    return Behaviors.same();
  }

  private static Behavior<Command> onRenewed(ActorContext<Command> ctx, TimerScheduler<Command> timers, Renewed m) {
    ctx.getLog().info("Renewed this node's certificate: valid until {}", m.cert().getNotAfter());
    schedule(timers, m.cert());
    return Behaviors.same();
  }

  private static Behavior<Command> onRenewFailed(ActorContext<Command> ctx, TimerScheduler<Command> timers,
      PoolTrust trust, RenewFailed m) {
    Duration retry = min(Duration.ofSeconds(30), trust.lifetime().dividedBy(10));
    Throwable cause = m.cause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : m.cause();
    ctx.getLog().warn("Could not renew this node's certificate ({}); trying again in {} s", cause.getMessage(),
        retry.toSeconds());
    timers.startSingleTimer(Tick.RENEW, retry);
    return Behaviors.same();
  }

  /** Renewal is due when two thirds of the certificate's lifetime have passed. */
  static Duration dueIn(X509Certificate cert, long nowMillis) {
    long from = cert.getNotBefore().getTime();
    long to = cert.getNotAfter().getTime();
    long due = from + (to - from) * 2 / 3;
    return Duration.ofMillis(Math.max(0, due - nowMillis));
  }

  private static void schedule(TimerScheduler<Command> timers, X509Certificate cert) {
    timers.startSingleTimer(Tick.RENEW, dueIn(cert, System.currentTimeMillis()));
  }

  private static Duration min(Duration a, Duration b) {
    Duration m = a.compareTo(b) < 0 ? a : b;
    return m.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : m;
  }
}
