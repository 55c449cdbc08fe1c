package org.opentela.proxy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.opentela.CborSerializable;
import org.opentela.SameThread;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.ServiceRecord;
import org.opentela.table.TableKeeper;
import org.opentela.telemetry.Tracing;
import org.slf4j.Logger;

/**
 * Receives requests routed to this node and forwards them to the local service named in the request
 * (or to this node's own HTTP API), replying to the requester with the response or a classified failure.
 * Knows the local services from this node's own record in the table. Keeps the requests it is serving,
 * streams until they end, so that a draining node can wait for them ({@link GetServing}) and a requester
 * can {@linkplain Abort abort} one. A request whose requester's node leaves the table (or becomes
 * unreachable) is aborted too: nobody would read its answer. Runs on every node at
 * {@code /user/}{@value #NAME}.
 */
public final class ServiceProxy extends AbstractBehavior<ServiceProxy.Command> {
  public static final String NAME = "proxy";
  /**
   * Response bodies up to this size travel inside one cluster message; larger ones as a stream. (Request
   * bodies: {@link ProxyRequest#withBody}.)
   */
  public static final int INLINE_LIMIT = 128 * 1024;

  /**
   * The entry for requests too large for an ordinary Artery frame (up to 8 MiB, a long prompt): Artery sends
   * messages to this path on its large-message lane (pekko.remote.artery.large-message-destinations), whose
   * frames are larger, so that such a body crosses as one message, written once into Artery's buffer, instead
   * of a stream ref of chunks with a hand-shake and four copies of every byte on each side (issue 17). The
   * actor only hands what it gets to this node's proxy. Aborts of such a request go the same way, so that
   * they never overtake their request.
   */
  public static final String BULK_NAME = "proxy-bulk";

  public sealed interface Command {}

  /** Forward {@code request}; the answer goes to {@code replyTo}, tagged with {@code attemptId}. */
  public record Forward(long attemptId, ProxyRequest request, ActorRef<ProxyReply> replyTo)
      implements Command, CborSerializable {}

  /**
   * The requester of attempt {@code attemptId}, {@code replyTo}, no longer wants it: the backend request is
   * aborted (its connection closed) unless its response arrived already. The requester then gets a
   * {@link Outcome#CANCELLED} reply, or the reply it was going to get: either way one reply, which tells it
   * this abort arrived. An abort for an exchange this proxy does not know is answered {@code CANCELLED} too.
   */
  public record Abort(long attemptId, ActorRef<ProxyReply> replyTo) implements Command, CborSerializable {}

  /** How many requests this node is serving now (a stream counts until it ends). */
  public record GetServing(ActorRef<Serving> replyTo) implements Command {}

  public record Serving(int requests) {}

  private record TableUpdated(NodeTable table) implements Command {}

  /** A forwarded request's exchange with the backend is over (its stream, if any, ended). */
  private record ExchangeEnded(Key key) implements Command {}

  /** An exchange: its requester and the requester's attempt number (unique per requester). */
  private record Key(ActorRef<ProxyReply> replyTo, long attemptId) {}

  public static Behavior<Command> create(ActorRef<TableKeeper.Command> keeper, int apiPort, Duration firstByteTimeout) {
    return create(keeper, apiPort, firstByteTimeout, Map.of(), Tracing.OFF);
  }

  /** As below, without tracing. */
  public static Behavior<Command> create(ActorRef<TableKeeper.Command> keeper, int apiPort, Duration firstByteTimeout,
      Map<String, String> backendAuthorization) {
    return create(keeper, apiPort, firstByteTimeout, backendAuthorization, Tracing.OFF);
  }

  /** As below, with no backend keys. */
  public static Behavior<Command> create(ActorRef<TableKeeper.Command> keeper, int apiPort, Duration firstByteTimeout,
      Tracing tracing) {
    return create(keeper, apiPort, firstByteTimeout, Map.of(), tracing);
  }

  /**
   * @param backendAuthorization per local service, the {@code Authorization} value its backend requires
   *                             ({@code --service.api_key}): it replaces whatever the request carried
   * @param tracing              when on, each backend call is a span under the requester's
   */
  public static Behavior<Command> create(ActorRef<TableKeeper.Command> keeper, int apiPort, Duration firstByteTimeout,
      Map<String, String> backendAuthorization, Tracing tracing) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(ServiceProxy.class);
      return new ServiceProxy(ctx, keeper, apiPort, firstByteTimeout, Map.copyOf(backendAuthorization), tracing);
    });
  }

  /** How a router reaches the proxy of another node: by its record's cluster address. */
  public static Function<NodeRecord, ActorRef<Command>> remote(ActorSystem<?> system) {
    ActorRefResolver resolver = ActorRefResolver.get(system);
    return r -> resolver.resolveActorRef(r.clusterAddress() + "/user/" + NAME);
  }

  /** The {@link #BULK_NAME} entry, spawned next to {@code proxy}: everything it gets goes to {@code proxy}. */
  public static Behavior<Command> bulkEntry(ActorRef<Command> proxy) {
    return Behaviors.receiveMessage(m -> {
      proxy.tell(m);
      return Behaviors.same();
    });
  }

  /** The {@link #BULK_NAME} entry on the node of {@code proxy} (another node's proxy). */
  public static ActorRef<Command> bulk(ActorRef<Command> proxy, ActorRefResolver resolver) {
    return resolver.resolveActorRef(proxy.path().address() + "/user/" + BULK_NAME);
  }

  private final BackendClient client;
  /** The actor's logger, looked up once: {@code getLog()} costs a lookup per call (bench/jfr-top). */
  private final Logger log;
  private final String apiBase;
  private final Map<String, String> backendAuthorization;
  private final Map<Key, BackendClient.Exchange> exchanges = new HashMap<>();
  private Map<String, ServiceRecord> services = Map.of();
  private String selfId = "";
  /** The cluster addresses of the connected nodes, as the table has them. */
  private Set<String> members = Set.of();

  private ServiceProxy(ActorContext<Command> ctx, ActorRef<TableKeeper.Command> keeper, int apiPort,
      Duration firstByteTimeout, Map<String, String> backendAuthorization, Tracing tracing) {
    super(ctx);
    this.backendAuthorization = backendAuthorization;
    this.log = ctx.getLog();
    this.client = new BackendClient(ctx.getSystem(), firstByteTimeout, INLINE_LIMIT, tracing);
    this.apiBase = "http://127.0.0.1:" + apiPort;
    keeper.tell(new TableKeeper.Subscribe(ctx.messageAdapter(NodeTable.class, TableUpdated::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Forward.class, this::onForward)
        .onMessage(Abort.class, this::onAbort)
        .onMessage(ExchangeEnded.class, this::onExchangeEnded)
        .onMessage(GetServing.class, this::onGetServing)
        .onMessage(TableUpdated.class, this::onTable)
        .build();
  }

  private Behavior<Command> onForward(Forward f) {
    ProxyRequest r = f.request();
    String base;
    if (r.service() == null) {
      base = apiBase;
    } else {
      ServiceRecord s = services.get(r.service());
      if (s == null) {
        f.replyTo().tell(Outcome.NO_LOCAL_SERVICE.failed(f.attemptId(), selfId, r.service(), services.keySet()));
        return this;
      }
      base = "http://" + s.host() + ":" + s.port();
      String authorization = backendAuthorization.get(r.service());
      if (authorization != null) {
        List<String> headers = new ArrayList<>(r.headers());
        Headers.set(headers, "Authorization", authorization);
        r = r.withHeaders(headers);
      }
    }
    if (log.isDebugEnabled()) {
      log.debug("request {} -> {}{}", r.requestId(), base, r.path());
    }
    boolean local = f.replyTo().path().address().hasLocalScope();
    Key key = new Key(f.replyTo(), f.attemptId());
    ActorRef<Command> self = getContext().getSelf();
    BackendClient.Exchange x = client.call(f.attemptId(), base, r, local, () -> self.tell(new ExchangeEnded(key)));
    exchanges.put(key, x);
    // Replies straight from the completing thread: a hop through this actor would add a hand-over per request.
    x.reply().thenAcceptAsync(f.replyTo()::tell, SameThread.EXECUTOR);
    return this;
  }

  private Behavior<Command> onAbort(Abort a) {
    BackendClient.Exchange x = exchanges.get(new Key(a.replyTo(), a.attemptId()));
    if (x == null) {
      a.replyTo().tell(Outcome.CANCELLED.failed(a.attemptId()));
      return this;
    }
    log.debug("attempt {} of {}: aborted by its requester", a.attemptId(), a.replyTo());
    x.abort("aborted by the requester");
    return this;
  }

  private Behavior<Command> onExchangeEnded(ExchangeEnded m) {
    exchanges.remove(m.key());
    return this;
  }

  private Behavior<Command> onGetServing(GetServing m) {
    m.replyTo().tell(new Serving(exchanges.size()));
    return this;
  }

  private Behavior<Command> onTable(TableUpdated m) {
    NodeRecord self = m.table().get(m.table().selfId());
    selfId = m.table().selfId();
    Map<String, ServiceRecord> next = new HashMap<>();
    if (self != null) {
      self.service().forEach(s -> next.put(s.name(), s));
    }
    services = next;
    Set<String> now = new HashSet<>();
    m.table().records().values().forEach(r -> {
      if (m.table().isConnected(r.id()) && !r.clusterAddress().isEmpty()) {
        now.add(r.clusterAddress());
      }
    });
    Set<String> left = new HashSet<>(members);
    left.removeAll(now);
    if (!left.isEmpty()) {
      abortOrphans(left);
    }
    members = now;
    return this;
  }

  /**
   * Aborts the requests of requesters on nodes that {@code left} (were connected, are no longer): their
   * answers have nowhere to go. A node not in the table yet (just joined) is left alone.
   */
  private void abortOrphans(Set<String> left) {
    exchanges.forEach((key, x) -> {
      Address a = key.replyTo().path().address();
      if (!a.hasLocalScope() && left.contains(a.toString())) {
        log.debug("attempt {} of {}: its node is gone, aborting", key.attemptId(), key.replyTo());
        x.abort("the requester's node is gone");
      }
    });
  }
}
