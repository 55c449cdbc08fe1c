package org.opentela.auth;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.opentela.ApiError;

/**
 * Owns the pool's API keys: the only writer of their Distributed Data entry (an {@link LWWMap} of
 * {@link ApiKey} by id, durable like the node table: see application.conf), and the publisher of each new
 * {@link KeyRing} to its subscribers (the node's {@link Access}). A key made or revoked is written to every
 * reachable node at once (a write to all, {@link #WRITE_ALL_TIMEOUT}); a node it could not reach gets it by
 * gossip. The last-writer-wins clock of a revocation is later than the key's creation as the revoking node
 * saw it, so a revocation is never undone by an older write.
 */
public final class KeyKeeper extends AbstractBehavior<KeyKeeper.Command> {
  static final Key<LWWMap<String, ApiKey>> KEY = LWWMapKey.create("api-keys");
  static final Duration WRITE_ALL_TIMEOUT = Duration.ofSeconds(2);

  public sealed interface Command {}

  /** Sends the current keys now, then every new set, to {@code subscriber}. */
  public record Subscribe(ActorRef<KeyRing> subscriber) implements Command {}

  /** What a new key is to be: its name, limits and expiry (epoch seconds, 0 = never). */
  public record KeySpec(String name, Limits limits, long expiresAt) {}

  /** Makes a key; the answer carries its secret, which is never stored. */
  public record Create(KeySpec spec, ActorRef<CreateReply> replyTo) implements Command {}

  /** Revokes the key with this id, or the active key with this name. */
  public record Revoke(String idOrName, ActorRef<RevokeReply> replyTo) implements Command {}

  public sealed interface CreateReply {}

  /** The key, the whole key a client sends ({@code sk-otela-<id>-<secret>}, shown once), whether every node has it. */
  public record Created(ApiKey key, String secret, boolean everywhere) implements CreateReply {}

  public sealed interface RevokeReply {}

  public record Revoked(ApiKey key, boolean everywhere) implements RevokeReply {}

  /** Refused: the client's error. */
  public record Refused(ApiError.Problem problem) implements CreateReply, RevokeReply {}

  private record Changed(Replicator.SubscribeResponse<LWWMap<String, ApiKey>> response) implements Command {}

  private record KeyWritten(Replicator.UpdateResponse<LWWMap<String, ApiKey>> response, ApiKey key, String secret,
      ActorRef<CreateReply> replyTo) implements Command {}

  private record RevocationWritten(Replicator.UpdateResponse<LWWMap<String, ApiKey>> response, ApiKey key,
      ActorRef<RevokeReply> replyTo) implements Command {}

  public static Behavior<Command> create(LongSupplier epochMillis) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(KeyKeeper.class);
      return DistributedData.<Command, LWWMap<String, ApiKey>>withReplicatorMessageAdapter(replicator ->
          new KeyKeeper(ctx, replicator, epochMillis));
    });
  }

  private final ReplicatorMessageAdapter<Command, LWWMap<String, ApiKey>> replicator;
  private final SelfUniqueAddress selfNode;
  private final LongSupplier epochMillis;
  private final List<ActorRef<KeyRing>> subscribers = new ArrayList<>();
  private final Set<String> namesBeingCreated = new HashSet<>();
  private KeyRing ring = KeyRing.EMPTY;

  private KeyKeeper(ActorContext<Command> ctx, ReplicatorMessageAdapter<Command, LWWMap<String, ApiKey>> replicator,
      LongSupplier epochMillis) {
    super(ctx);
    this.replicator = replicator;
    this.epochMillis = epochMillis;
    this.selfNode = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    replicator.subscribe(KEY, Changed::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Create.class, this::onCreate)
        .onMessage(Revoke.class, this::onRevoke)
        .onMessage(Changed.class, this::onChanged)
        .onMessage(KeyWritten.class, this::onKeyWritten)
        .onMessage(RevocationWritten.class, this::onRevocationWritten)
        .build();
  }

  private long nowSeconds() {
    return epochMillis.getAsLong() / 1000;
  }

  private Behavior<Command> onSubscribe(Subscribe m) {
    subscribers.add(m.subscriber());
    m.subscriber().tell(ring);
    return this;
  }

  private Behavior<Command> onChanged(Changed m) {
    if (m.response() instanceof Replicator.Changed<LWWMap<String, ApiKey>> c) {
      publish(new KeyRing(c.get(KEY).getEntries()));
    }
    return this;
  }

  /** This node's own writes are published at once, not when the replicator next notifies (up to 100 ms later). */
  private void publish(KeyRing next) {
    ring = next;
    subscribers.forEach(s -> s.tell(next));
  }

  private Behavior<Command> onCreate(Create m) {
    String name = m.spec().name();
    ApiKey same = ring.find(name, nowSeconds());
    if (namesBeingCreated.contains(name) || (same != null && same.active(nowSeconds()))) {
      m.replyTo().tell(new Refused(ApiError.KEY_NAME_TAKEN.with(name, same == null ? "being created" : same.id())));
      return this;
    }
    String id = KeySecrets.newId();
    while (ring.get(id) != null) {
      id = KeySecrets.newId();
    }
    String secret = KeySecrets.newSecret();
    ApiKey key = new ApiKey(id, name, KeySecrets.hash(secret), m.spec().limits(),
        new ApiKey.Validity(nowSeconds(), m.spec().expiresAt(), 0));
    namesBeingCreated.add(name);
    write(key, rsp -> new KeyWritten(rsp, key, secret, m.replyTo()));
    return this;
  }

  private Behavior<Command> onRevoke(Revoke m) {
    ApiKey key = ring.find(m.idOrName(), nowSeconds());
    if (key == null || key.revoked()) {
      m.replyTo().tell(new Refused(ApiError.KEY_NOT_FOUND.with(m.idOrName())));
      return this;
    }
    ApiKey revoked = key.revokedAt(nowSeconds());
    write(revoked, rsp -> new RevocationWritten(rsp, revoked, m.replyTo()));
    return this;
  }

  private void write(ApiKey key,
      java.util.function.Function<Replicator.UpdateResponse<LWWMap<String, ApiKey>>, Command> written) {
    replicator.askUpdate(r -> new Replicator.Update<>(KEY, LWWMap.empty(), new Replicator.WriteAll(WRITE_ALL_TIMEOUT),
        r, map -> map.put(selfNode, key.id(), key)), written::apply);
  }

  /** A timed-out write to all is still written here; gossip brings it to the nodes that did not answer. */
  private static boolean written(Replicator.UpdateResponse<?> r) {
    return r instanceof Replicator.UpdateSuccess || r instanceof Replicator.UpdateTimeout;
  }

  private Behavior<Command> onKeyWritten(KeyWritten m) {
    namesBeingCreated.remove(m.key().name());
    boolean everywhere = m.response() instanceof Replicator.UpdateSuccess;
    if (!written(m.response())) {
      m.replyTo().tell(new Refused(ApiError.INTERNAL_ERROR.with("writing the key failed: " + m.response())));
      return this;
    }
    publish(ring.with(m.key()));
    getContext().getLog().info("API key '{}' created (id {}){}", m.key().name(), m.key().id(),
        everywhere ? "" : "; some nodes did not answer in time, gossip brings it to them");
    m.replyTo().tell(new Created(m.key(), KeySecrets.format(m.key().id(), m.secret()), everywhere));
    return this;
  }

  private Behavior<Command> onRevocationWritten(RevocationWritten m) {
    boolean everywhere = m.response() instanceof Replicator.UpdateSuccess;
    if (!written(m.response())) {
      m.replyTo().tell(new Refused(ApiError.INTERNAL_ERROR.with("writing the revocation failed: " + m.response())));
      return this;
    }
    publish(ring.with(m.key()));
    getContext().getLog().info("API key '{}' (id {}) revoked{}", m.key().name(), m.key().id(),
        everywhere ? " on every node" : "; some nodes did not answer in time, gossip brings it to them");
    m.replyTo().tell(new Revoked(m.key(), everywhere));
    return this;
  }
}
