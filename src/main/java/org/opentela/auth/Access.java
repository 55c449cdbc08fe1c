package org.opentela.auth;

import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.opentela.ApiError;

/**
 * API keys on the request path: who a request's {@code Authorization} header names ({@link #identify}),
 * which paths an API key may reach, and the {@link Exchange} that admits, limits and counts one request.
 * Reads the latest {@link KeyRing} (pushed by {@link KeyKeeper}) without asking an actor. {@link #OFF} when
 * the node has no admin key: the HTTP layer then checks nothing.
 */
public final class Access {
  public static final Access OFF = new Access(AuthSettings.OFF, System::nanoTime, System::currentTimeMillis,
      Duration.ofMinutes(16));

  private final AuthSettings settings;
  private final LongSupplier wallMillis;
  private final Limiter limiter;
  private final UsageCounts usage;
  private final AuthFailures failures;
  private volatile KeyRing ring = KeyRing.EMPTY;

  /**
   * @param ticketTimeout how long a request may hold a key's slot at most (the request timeout and a margin)
   */
  public Access(AuthSettings settings, LongSupplier nanos, LongSupplier wallMillis, Duration ticketTimeout) {
    this.settings = settings;
    this.wallMillis = wallMillis;
    this.limiter = new Limiter(nanos, ticketTimeout);
    this.usage = new UsageCounts(wallMillis);
    this.failures = new AuthFailures(settings.maxFailuresPerMinute(), nanos);
  }

  public static Access create(AuthSettings settings, Duration requestTimeout) {
    return settings.enabled()
        ? new Access(settings, System::nanoTime, System::currentTimeMillis, requestTimeout.plusMinutes(1)) : OFF;
  }

  public boolean enabled() {
    return settings.enabled();
  }

  public AuthSettings settings() {
    return settings;
  }

  Limiter limiter() {
    return limiter;
  }

  public UsageCounts usage() {
    return usage;
  }

  /** The latest keys. */
  public KeyRing keys() {
    return ring;
  }

  /** A new set of keys (from {@link KeyKeeper}). */
  public void keys(KeyRing next) {
    ring = next;
    limiter.keys(next);
  }

  /**
   * Who sent a request with this {@code Authorization} header value (null: none) from {@code source} (an
   * address, for the failure throttle). Never logs or echoes a secret.
   */
  public Caller identify(String authorization, String source) {
    String token = bearer(authorization);
    KeySecrets.Parsed p = KeySecrets.parse(token);
    long blocked = failures.blockedFor(source);
    // A throttled address is refused without a look at the admin key (which may be weak). API keys (256
    // random bits) are still checked: clients behind the same address as a guesser keep working.
    if (blocked > 0 && !p.wellFormed()) {
      long seconds = (blocked + 999_999_999L) / 1_000_000_000L;
      return new Caller.Refused(ApiError.TOO_MANY_AUTH_FAILURES.with(source, failures.perMinute(), seconds), seconds);
    }
    if (token == null) {
      failures.failed(source);
      return new Caller.Refused(ApiError.MISSING_API_KEY.with(), 0);
    }
    if (!p.wellFormed() && KeySecrets.sameSecret(token, settings.adminKeyDigest())) {
      return Caller.ADMIN;
    }
    ApiKey key = p.wellFormed() ? ring.get(p.id()) : null;
    boolean ok = KeySecrets.matches(p.wellFormed() ? p.secret() : token, key == null ? null : key.secretHash());
    if (!ok) {
      failures.failed(source);
      return new Caller.Refused(ApiError.INVALID_API_KEY.with(p.wellFormed()
          ? "the key " + KeySecrets.PREFIX + p.id() + "-... is not a key of this pool" : "not an otela API key"), 0);
    }
    long now = wallMillis.getAsLong() / 1000;
    if (!key.active(now)) {
      return new Caller.Refused(ApiError.INVALID_API_KEY.with("the key '" + key.name() + "' ("
          + KeySecrets.PREFIX + key.id() + "-...) " + (key.revoked() ? "was revoked" : "has expired")), 0);
    }
    return new Caller.Client(key);
  }

  private static String bearer(String authorization) {
    if (authorization == null) {
      return null;
    }
    String v = authorization.trim();
    if (v.equalsIgnoreCase("Bearer")) {
      return null;
    }
    if (v.length() > 7 && v.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String token = v.substring(7).trim();
      return token.isEmpty() ? null : token;
    }
    return v.isEmpty() ? null : v;
  }

  /** The actors behind API keys on a node: the keys' and the usage's keepers. */
  public record Actors(ActorRef<KeyKeeper.Command> keys, ActorRef<UsageKeeper.Command> usage) {}

  /**
   * Spawns the actors that keep this node's keys, limits and usage in step with the pool (only when
   * {@link #enabled()}; null otherwise): {@link KeyKeeper} (its key sets land in {@link #keys(KeyRing)}),
   * {@link LimitSync} and {@link UsageKeeper}, whose last counts are written when the node stops.
   */
  public Actors start(ActorContext<?> ctx) {
    if (!enabled()) {
      return null;
    }
    ActorRef<KeyKeeper.Command> keeper = ctx.spawn(Behaviors.supervise(KeyKeeper.create(wallMillis))
        .onFailure(SupervisorStrategy.restart()), "api-keys");
    keeper.tell(new KeyKeeper.Subscribe(ctx.spawn(Behaviors.<KeyRing>receiveMessage(next -> {
      keys(next);
      return Behaviors.same();
    }), "api-key-ring")));
    ctx.spawn(Behaviors.supervise(LimitSync.create(limiter, settings.syncInterval()))
        .onFailure(SupervisorStrategy.restart()), "api-limits");
    ActorRef<UsageKeeper.Command> usageKeeper = ctx.spawn(Behaviors.supervise(
        UsageKeeper.create(usage, settings.usageFlushInterval())).onFailure(SupervisorStrategy.restart()), "api-usage");
    ActorSystem<?> system = ctx.getSystem();
    CoordinatedShutdown.get(Adapter.toClassic(system)).addTask(CoordinatedShutdown.PhaseBeforeClusterShutdown(),
        "flush-api-usage", () -> AskPattern.<UsageKeeper.Command, Done>ask(usageKeeper, UsageKeeper.Flush::new,
            Duration.ofSeconds(3), system.scheduler()).exceptionally(err -> Done.getInstance()));
    return new Actors(keeper, usageKeeper);
  }

  /** An exchange for a request of {@code caller} ({@link Caller.Admin} or {@link Caller.Client}). */
  public Exchange exchange(Caller caller) {
    return new Exchange(this, caller instanceof Caller.Client c ? c.key() : null);
  }

  /** Whether an API key may call {@code path} of {@code service}. */
  public boolean clientMayCall(String service, String path) {
    return settings.clientPaths().allows(service, path);
  }

  /** The paths an API key may call on {@code service}, for error messages. */
  public List<String> clientPaths(String service) {
    return settings.clientPaths().rules(service);
  }
}
