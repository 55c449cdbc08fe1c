package org.opentela.proxy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
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

/**
 * Receives requests routed to this node and forwards them to the local service named in the request
 * (or to this node's own HTTP API), replying to the requester with the response or a classified failure.
 * Knows the local services from this node's own record in the table. Counts the requests it is serving,
 * streams until they end, so that a draining node can wait for them ({@link GetServing}). Runs on every
 * node at {@code /user/}{@value #NAME}.
 */
public final class ServiceProxy extends AbstractBehavior<ServiceProxy.Command> {
  public static final String NAME = "proxy";
  /** Bodies up to this size travel inside one cluster message; larger ones as a stream. */
  public static final int INLINE_LIMIT = 128 * 1024;

  public sealed interface Command {}

  /** Forward {@code request}; the answer goes to {@code replyTo}, tagged with {@code attemptId}. */
  public record Forward(long attemptId, ProxyRequest request, ActorRef<ProxyReply> replyTo)
      implements Command, CborSerializable {}

  /** How many requests this node is serving now (a stream counts until it ends). */
  public record GetServing(ActorRef<Serving> replyTo) implements Command {}

  public record Serving(int requests) {}

  private record TableUpdated(NodeTable table) implements Command {}

  /** A forwarded request's exchange with the backend is over (its stream, if any, ended). */
  private record ExchangeEnded() implements Command {}

  private static final ExchangeEnded EXCHANGE_ENDED = new ExchangeEnded();

  public static Behavior<Command> create(ActorRef<TableKeeper.Command> keeper, int apiPort, Duration firstByteTimeout) {
    return create(keeper, apiPort, firstByteTimeout, Tracing.OFF);
  }

  /** As above; when {@code tracing} is on, each backend call is a span under the requester's. */
  public static Behavior<Command> create(ActorRef<TableKeeper.Command> keeper, int apiPort, Duration firstByteTimeout,
      Tracing tracing) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(ServiceProxy.class);
      return new ServiceProxy(ctx, keeper, apiPort, firstByteTimeout, tracing);
    });
  }

  /** How a router reaches the proxy of another node: by its record's cluster address. */
  public static Function<NodeRecord, ActorRef<Command>> remote(ActorSystem<?> system) {
    ActorRefResolver resolver = ActorRefResolver.get(system);
    return r -> resolver.resolveActorRef(r.clusterAddress() + "/user/" + NAME);
  }

  private final BackendClient client;
  private final String apiBase;
  private final Runnable exchangeEnded;
  private Map<String, ServiceRecord> services = Map.of();
  private String selfId = "";
  private int serving;

  private ServiceProxy(ActorContext<Command> ctx, ActorRef<TableKeeper.Command> keeper, int apiPort,
      Duration firstByteTimeout, Tracing tracing) {
    super(ctx);
    this.client = new BackendClient(ctx.getSystem(), firstByteTimeout, INLINE_LIMIT, tracing);
    this.apiBase = "http://127.0.0.1:" + apiPort;
    ActorRef<Command> self = ctx.getSelf();
    this.exchangeEnded = () -> self.tell(EXCHANGE_ENDED);
    keeper.tell(new TableKeeper.Subscribe(ctx.messageAdapter(NodeTable.class, TableUpdated::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Forward.class, this::onForward)
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
    }
    getContext().getLog().debug("request {} -> {}{}", r.requestId(), base, r.path());
    boolean local = f.replyTo().path().address().hasLocalScope();
    serving++;
    // Replies straight from the completing thread: a hop through this actor would add a hand-over per request.
    client.call(f.attemptId(), base, r, local, exchangeEnded).thenAcceptAsync(f.replyTo()::tell, SameThread.EXECUTOR);
    return this;
  }

  private Behavior<Command> onExchangeEnded(ExchangeEnded m) {
    serving--;
    return this;
  }

  private Behavior<Command> onGetServing(GetServing m) {
    m.replyTo().tell(new Serving(serving));
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
    return this;
  }
}
