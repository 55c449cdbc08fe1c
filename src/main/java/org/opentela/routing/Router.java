package org.opentela.routing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SystemMaterializer;
import org.apache.pekko.util.ByteString;
import org.opentela.ApiError;
import org.opentela.proxy.Outcome;
import org.opentela.proxy.ProxyReply;
import org.opentela.proxy.ProxyRequest;
import org.opentela.proxy.ServiceProxy;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.TableKeeper;
import org.opentela.telemetry.Tracing;
import org.slf4j.Logger;

/**
 * Resolves each request against the latest table snapshot, forwards it to the chosen node's
 * {@link ServiceProxy}, and retries another provider when an attempt fails before any byte reached the
 * client (including when the target node becomes unreachable while the request is pending).
 *
 * <p>Keeps this node's outstanding requests per provider (for least-loaded selection): a request counts
 * from dispatch until its response is complete, or, for a stream, until the HTTP layer reports the stream
 * finished. Never asks the table per request: the {@link TableKeeper} pushes each new snapshot.
 */
public final class Router extends AbstractBehavior<Router.Command> {
  public static final String NAME = "router";

  public sealed interface Command {}

  /**
   * Route {@code request}: to a provider of {@code service} matching {@code fields}, or, when
   * {@code pinnedPeer} is set, to that node. {@code body} is the whole request body.
   */
  public record RouteRequest(String service, MatchFields fields, int fallback, String pinnedPeer,
      ProxyRequest request, ByteString body, ActorRef<RouteReply> replyTo) implements Command {}

  /** The model ids the providers of {@code service} serve: {@link Models}, or {@link Rejected} if none offers it. */
  public record ListModels(String service, ActorRef<ModelsReply> replyTo) implements Command {}

  /**
   * The client of the request asked with {@code replyTo} went away before its response: the attempt in flight
   * is aborted on its worker (which closes the backend connection), and the ask is answered
   * {@link ApiError#CLIENT_CLOSED_REQUEST}. Nothing happens if the request was answered already.
   */
  public record Cancel(ActorRef<RouteReply> replyTo) implements Command {}

  /** A streamed response from {@code peerId} ended (completed, failed or cancelled). */
  public record StreamFinished(String peerId) implements Command {}

  private record TableUpdated(NodeTable table) implements Command {}

  private record Replied(ProxyReply reply) implements Command {}

  private enum Tick implements Command { SWEEP }

  /** The answer to a {@link RouteRequest}. */
  public sealed interface RouteReply {}

  /** The response of {@code peerId}: {@link ProxyReply.Complete} or {@link ProxyReply.Streamed}. */
  public record Routed(String peerId, ProxyReply reply) implements RouteReply {}

  /** The answer to a {@link ListModels}. */
  public sealed interface ModelsReply {}

  /** No response: an error for the client. */
  public record Rejected(ApiError.Problem problem) implements RouteReply, ModelsReply {}

  public record Models(SortedSet<String> models) implements ModelsReply {}

  /**
   * @param localProxy  this node's {@link ServiceProxy}
   * @param remoteProxy the proxy of another node, from its record ({@link ServiceProxy#remote} in a node)
   */
  public static Behavior<Command> create(ActorRef<TableKeeper.Command> keeper, ActorRef<ServiceProxy.Command> localProxy,
      Function<NodeRecord, ActorRef<ServiceProxy.Command>> remoteProxy, RoutingSettings settings) {
    return create(keeper, localProxy, remoteProxy, settings, RoutingMetrics.unregistered(), Tracing.OFF);
  }

  /** As above, recording into {@code metrics} and, when {@code tracing} is on, making spans. */
  public static Behavior<Command> create(ActorRef<TableKeeper.Command> keeper, ActorRef<ServiceProxy.Command> localProxy,
      Function<NodeRecord, ActorRef<ServiceProxy.Command>> remoteProxy, RoutingSettings settings,
      RoutingMetrics metrics, Tracing tracing) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(Router.class);
      return Behaviors.withTimers(timers -> {
        timers.startTimerWithFixedDelay(Tick.SWEEP, settings.sweepInterval());
        return new Router(ctx, keeper, localProxy, remoteProxy, settings, metrics, tracing);
      });
    });
  }

  /** One request being routed. */
  private static final class Pending {
    final RouteRequest request;
    final Affinity affinity;
    final long startNanos = System.nanoTime();
    final Set<String> tried = new HashSet<>(4);
    Provider target;
    /** Where the attempt was sent: the target's proxy, or its large-message entry (aborts follow it). */
    ActorRef<ServiceProxy.Command> sentTo;
    long targetUid;
    long attemptId;
    long attemptStartNanos;
    String lastFailure = "";
    /** Tracing on: the request span's context, and the current try's span. */
    Context traceParent;
    Span attempt;

    Pending(RouteRequest request, Affinity affinity) {
      this.request = request;
      this.affinity = affinity;
    }
  }

  /**
   * An attempt this router gave up on: its worker was told to abort it. Any reply for it says the abort
   * arrived (or was moot); until one comes the abort is sent again, in case it was lost on the way.
   */
  private static final class Aborting {
    final ActorRef<ServiceProxy.Command> proxy;
    long sentNanos = System.nanoTime();
    int sent = 1;

    Aborting(ActorRef<ServiceProxy.Command> proxy) {
      this.proxy = proxy;
    }
  }

  /** How often, and how many times at most, an unanswered abort is sent. */
  private static final long ABORT_RESEND_NANOS = 2_000_000_000L;
  private static final int ABORT_SENDS = 5;

  private final ActorRef<ServiceProxy.Command> localProxy;
  private final Function<NodeRecord, ActorRef<ServiceProxy.Command>> remoteProxy;
  private final RoutingSettings settings;
  private final Selection selection;
  private final Materializer materializer;
  private final ActorRefResolver refResolver;
  private final ActorRef<ProxyReply> replyAdapter;
  /** The actor's logger, looked up once: {@code getLog()} costs a lookup per call (bench/jfr-top). */
  private final Logger log;
  private final Map<Long, Pending> pending = new HashMap<>();
  /**
   * The same requests, by the ask that waits for each (what a {@link Cancel} names: the very ref of the
   * {@link RouteRequest}, a local message). By identity: an ask's ref hashes and compares by its path, a walk
   * up a chain of path elements, and temporary paths collide often enough to turn bins into trees; that was
   * 4 % of a head's CPU under load (bench/jfr-top).
   */
  private final Map<ActorRef<RouteReply>, Pending> byClient = new IdentityHashMap<>();
  private final Map<Long, Aborting> aborting = new HashMap<>();
  private final Map<String, Integer> inFlight = new HashMap<>();
  private final Map<String, Long> cooldownUntil = new HashMap<>();
  private final Map<String, ActorRef<ServiceProxy.Command>> proxies = new HashMap<>();
  private final RoutingMetrics metrics;
  /** Workers with an in-flight series; the series of one that left the table is removed once idle. */
  private final Set<String> gaugedPeers = new HashSet<>();
  /** Null when tracing is off: then no span is made and no header copied. */
  private final RouteSpans spans;
  private NodeTable table;
  private ProviderIndex index = ProviderIndex.EMPTY;
  private long nextAttempt;

  private Router(ActorContext<Command> ctx, ActorRef<TableKeeper.Command> keeper,
      ActorRef<ServiceProxy.Command> localProxy, Function<NodeRecord, ActorRef<ServiceProxy.Command>> remoteProxy,
      RoutingSettings settings, RoutingMetrics metrics, Tracing tracing) {
    super(ctx);
    this.metrics = metrics;
    this.spans = tracing.enabled() ? new RouteSpans(tracing) : null;
    this.localProxy = localProxy;
    this.remoteProxy = remoteProxy;
    this.settings = settings;
    this.selection = new Selection(settings.policy(), ThreadLocalRandom.current(), settings.cacheAware());
    this.materializer = SystemMaterializer.get(ctx.getSystem()).materializer();
    this.refResolver = ActorRefResolver.get(ctx.getSystem());
    this.replyAdapter = ctx.messageAdapter(ProxyReply.class, Replied::new);
    this.log = ctx.getLog();
    keeper.tell(new TableKeeper.Subscribe(ctx.messageAdapter(NodeTable.class, TableUpdated::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(RouteRequest.class, this::onRoute)
        .onMessage(Replied.class, this::onReply)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(StreamFinished.class, this::onStreamFinished)
        .onMessage(TableUpdated.class, this::onTable)
        .onMessage(ListModels.class, this::onListModels)
        .onMessageEquals(Tick.SWEEP, this::onSweep)
        .build();
  }

  private Behavior<Command> onStreamFinished(StreamFinished m) {
    release(m.peerId());
    return this;
  }

  private Behavior<Command> onListModels(ListModels m) {
    ProviderIndex.ServiceProviders sp = index.service(m.service());
    m.replyTo().tell(sp == null ? unknownService(m.service()) : new Models(new TreeSet<>(sp.models())));
    return this;
  }

  private Rejected unknownService(String service) {
    return new Rejected(ApiError.SERVICE_NOT_FOUND.with(service, index.services()));
  }

  private Behavior<Command> onRoute(RouteRequest r) {
    Pending p = new Pending(r, r.pinnedPeer() != null ? Affinity.NONE
        : selection.affinity(r.service(), r.fields(), r.request().headers()));
    if (spans != null) {
      p.traceParent = spans.parent(r.request());
      if (r.pinnedPeer() == null) {
        return onRouteTraced(p);
      }
    }
    Provider target;
    if (r.pinnedPeer() != null) {
      target = index.peer(r.pinnedPeer());
      if (target == null) {
        boolean known = table != null && table.get(r.pinnedPeer()) != null;
        r.replyTo().tell(new Rejected((known ? ApiError.PEER_UNREACHABLE : ApiError.PEER_NOT_FOUND).with(r.pinnedPeer())));
        return this;
      }
    } else {
      ProviderIndex.ServiceProviders sp = index.service(r.service());
      if (sp == null) {
        r.replyTo().tell(unknownService(r.service()));
        return this;
      }
      target = selection.pick(sp.candidates(r.fields(), r.fallback()), id -> false, this::coolingDown, this::load,
          p.affinity);
      if (target == null) {
        r.replyTo().tell(noMatch(r, sp));
        return this;
      }
    }
    dispatch(p, target);
    return this;
  }

  /** {@link #onRoute} for a routed request with tracing on: the same steps, each in its span. */
  private Behavior<Command> onRouteTraced(Pending p) {
    RouteRequest r = p.request;
    Span match = spans.start("match", p.traceParent);
    ProviderIndex.ServiceProviders sp = index.service(r.service());
    List<Provider> candidates = sp == null ? List.of() : sp.candidates(r.fields(), r.fallback());
    spans.endMatch(match, candidates);
    if (sp == null) {
      r.replyTo().tell(unknownService(r.service()));
      return this;
    }
    Span select = spans.start("select", p.traceParent);
    Provider target = selection.pick(candidates, id -> false, this::coolingDown, this::load, p.affinity);
    spans.endSelect(select, settings.policy(), target);
    if (target == null) {
      r.replyTo().tell(noMatch(r, sp));
      return this;
    }
    dispatch(p, target);
    return this;
  }

  /**
   * Why nothing matched: a model nobody serves is transient (503); a request without a usable model is the
   * client's error (400, which SDKs do not retry), unless it named a group in a header.
   */
  private Rejected noMatch(RouteRequest r, ProviderIndex.ServiceProviders sp) {
    MatchFields f = r.fields();
    String model = f.strings().get(ProviderIndex.MODEL_KEY);
    if (model != null) {
      // A model nobody registers is the client's mistake (404: SDKs do not retry it); one whose workers are
      // all out of routing now is transient (503).
      return new Rejected(PoolModels.served(table, r.service(), model)
          ? ApiError.MODEL_NOT_AVAILABLE.with(model, r.service(), sp.models())
          : ApiError.MODEL_NOT_FOUND.with(model, sp.models()));
    }
    if (f.modelKind() != null) {
      return new Rejected(ApiError.INVALID_MODEL.with(f.modelKind(), sp.models()));
    }
    return new Rejected(f.fromHeader() ? ApiError.NO_MATCHING_PROVIDER.with(r.service(), sp.models())
        : ApiError.MODEL_REQUIRED.with(sp.models()));
  }

  private void dispatch(Pending p, Provider target) {
    long id = ++nextAttempt;
    p.attemptId = id;
    byClient.put(p.request.replyTo(), p);
    p.target = target;
    p.tried.add(target.peerId());
    p.attemptStartNanos = System.nanoTime();
    NodeRecord rec = table == null ? null : table.get(target.peerId());
    p.targetUid = rec == null ? 0 : rec.clusterUid();
    pending.put(id, p);
    metrics.inFlight(target.peerId(), inFlight.merge(target.peerId(), 1, Integer::sum));
    gaugedPeers.add(target.peerId());
    ProxyRequest req = p.request.request().withBody(p.request.body(), target.local(), materializer);
    if (spans != null) {
      p.attempt = spans.startTry(p.traceParent, target, p.tried.size());
      req = spans.carrying(req, p.attempt);
    }
    if (log.isDebugEnabled()) {
      log.debug("request {} -> {} {} (attempt {})", req.requestId(), target.peerId(), req.describe(), p.tried.size());
    }
    p.sentTo = !target.local() && req.needsLargeLane() ? ServiceProxy.bulk(target.proxy(), refResolver) : target.proxy();
    p.sentTo.tell(new ServiceProxy.Forward(id, req, replyAdapter));
  }

  private Behavior<Command> onReply(Replied m) {
    ProxyReply reply = m.reply();
    Pending p = pending.remove(reply.attemptId());
    if (p == null) {
      aborting.remove(reply.attemptId());
      discardLate(reply);
      return this;
    }
    String peer = p.target.peerId();
    if (reply instanceof ProxyReply.Failed f) {
      release(peer);
      failed(p, f);
      return this;
    }
    if (p.attempt != null) {
      RouteSpans.answered(p.attempt, reply);
    }
    if (p.tried.size() > 1) {
      metrics.failedOver(p.request.service());
    }
    cooldownUntil.remove(peer);
    if (reply instanceof ProxyReply.Complete) {
      release(peer);
    }
    answer(p, new Routed(peer, reply));
    return this;
  }

  /** The request's final answer. */
  private void answer(Pending p, RouteReply reply) {
    byClient.remove(p.request.replyTo());
    p.request.replyTo().tell(reply);
  }

  private Behavior<Command> onCancel(Cancel c) {
    Pending p = byClient.remove(c.replyTo());
    if (p == null || pending.remove(p.attemptId) == null) {
      return this;
    }
    release(p.target.peerId());
    if (p.attempt != null) {
      RouteSpans.failed(p.attempt, "cancelled", "the client closed its connection");
      p.attempt = null;
    }
    log.debug("request {}: its client left; aborting it on {}", p.request.request().requestId(),
        p.target.peerId());
    abort(p);
    c.replyTo().tell(new Rejected(ApiError.CLIENT_CLOSED_REQUEST.with()));
    return this;
  }

  /** Tells the worker of {@code p}'s attempt in flight to drop it (it was removed from {@link #pending}). */
  private void abort(Pending p) {
    aborting.put(p.attemptId, new Aborting(p.sentTo));
    p.sentTo.tell(new ServiceProxy.Abort(p.attemptId, replyAdapter));
  }

  /** An attempt failed before any response reached the client: retry elsewhere, or give the client the error. */
  private void failed(Pending p, ProxyReply.Failed f) {
    String peer = p.target.peerId();
    p.lastFailure = peer + ": " + f.message();
    RouteRequest r = p.request;
    if (p.attempt != null) {
      RouteSpans.failed(p.attempt, f.outcome().name().toLowerCase(java.util.Locale.ROOT), f.message());
      p.attempt = null;
    }
    if (!f.outcome().retryable()) {
      answer(p, new Rejected(f.problem()));
      return;
    }
    cooldownUntil.put(peer, System.nanoTime() + settings.cooldown().toNanos());
    log.warn("request {}: {} failed ({}): {}", r.request().requestId(), peer, f.outcome(),
        f.message());
    boolean timeLeft = System.nanoTime() - p.startNanos < settings.requestTimeout().toNanos();
    Provider next = null;
    if (r.pinnedPeer() == null && p.tried.size() <= settings.maxRetries() && timeLeft) {
      ProviderIndex.ServiceProviders sp = index.service(r.service());
      if (sp != null) {
        next = selection.pick(sp.candidates(r.fields(), r.fallback()), p.tried::contains, this::coolingDown, this::load,
            p.affinity);
      }
    }
    if (next != null) {
      metrics.retried(r.service(), f.outcome());
      dispatch(p, next);
    } else if (r.pinnedPeer() != null) {
      answer(p, new Rejected(f.problem()));
    } else {
      answer(p, new Rejected(ApiError.ALL_PROVIDERS_FAILED.with(r.service(), p.tried.size(), p.lastFailure)));
    }
  }

  private Behavior<Command> onTable(TableUpdated m) {
    table = m.table();
    index = ProviderIndex.build(table, this::provider);
    Set<String> current = new HashSet<>();
    table.records().values().forEach(r -> current.add(proxyKey(r)));
    proxies.keySet().retainAll(current);
    for (Iterator<String> it = gaugedPeers.iterator(); it.hasNext(); ) {
      String peer = it.next();
      if (table.get(peer) == null && !inFlight.containsKey(peer)) {
        metrics.forget(peer);
        it.remove();
      }
    }
    // Requests waiting on a node that is gone (unreachable, left, or restarted) are retried elsewhere.
    List<Pending> lost = new ArrayList<>();
    for (Iterator<Map.Entry<Long, Pending>> it = pending.entrySet().iterator(); it.hasNext(); ) {
      Pending p = it.next().getValue();
      NodeRecord rec = table.get(p.target.peerId());
      if (index.peer(p.target.peerId()) == null || rec == null || rec.clusterUid() != p.targetUid) {
        it.remove();
        release(p.target.peerId());
        lost.add(p);
      }
    }
    for (Pending p : lost) {
      // If the node is only cut off for a moment, it hears the abort when it is back.
      abort(p);
      failed(p, Outcome.NODE_UNREACHABLE.failed(0, p.target.peerId()));
    }
    return this;
  }

  /**
   * This node's {@code --routing.first_byte_timeout} for the attempts it sent (the target's proxy applies
   * its own, which may be longer), and the safety net for replies that never come (a message lost with a
   * crashing node). Checked every {@link RoutingSettings#sweepInterval()}.
   */
  private Behavior<Command> onSweep() {
    long now = System.nanoTime();
    long limit = settings.firstByteTimeout().toNanos();
    for (Iterator<Map.Entry<Long, Pending>> it = pending.entrySet().iterator(); it.hasNext(); ) {
      Pending p = it.next().getValue();
      if (now - p.attemptStartNanos > limit) {
        it.remove();
        release(p.target.peerId());
        if (p.attempt != null) {
          RouteSpans.failed(p.attempt, "first_byte_timeout", "no response headers in time");
        }
        log.warn("request {}: no response headers from {} within {} (--routing.first_byte_timeout)",
            p.request.request().requestId(), p.target.peerId(), settings.firstByteTimeout());
        abort(p);
        answer(p, new Rejected(Outcome.FIRST_BYTE_TIMEOUT.error().with("worker " + p.target.peerId()
            + " sent no response headers within " + settings.firstByteTimeout().toMillis() + " ms"
            + " (--routing.first_byte_timeout)")));
      }
    }
    cooldownUntil.values().removeIf(until -> until < now);
    resendAborts(now);
    return this;
  }

  private void resendAborts(long now) {
    for (Iterator<Map.Entry<Long, Aborting>> it = aborting.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, Aborting> e = it.next();
      Aborting a = e.getValue();
      if (now - a.sentNanos < ABORT_RESEND_NANOS) {
        continue;
      }
      if (a.sent >= ABORT_SENDS) {
        it.remove(); // the worker's own first-byte timeout is the last bound
        continue;
      }
      a.sent++;
      a.sentNanos = now;
      a.proxy.tell(new ServiceProxy.Abort(e.getKey(), replyAdapter));
    }
  }

  private Provider provider(NodeRecord r) {
    boolean local = r.id().equals(table.selfId());
    ActorRef<ServiceProxy.Command> ref = local ? localProxy : proxies.computeIfAbsent(proxyKey(r),
        k -> remoteProxy.apply(r));
    return new Provider(r.id(), ref, r.load() == null ? 0 : r.load().score(), local);
  }

  private static String proxyKey(NodeRecord r) {
    return r.clusterAddress() + "#" + r.clusterUid();
  }

  private boolean coolingDown(String peerId) {
    Long until = cooldownUntil.get(peerId);
    return until != null && until > System.nanoTime();
  }

  private int load(String peerId) {
    return inFlight.getOrDefault(peerId, 0);
  }

  private void release(String peerId) {
    Integer left = inFlight.computeIfPresent(peerId, (k, v) -> v <= 1 ? null : v - 1);
    metrics.inFlight(peerId, left == null ? 0 : left);
  }

  /** A reply for an attempt already given up: free the worker's stream if it sent one. */
  private void discardLate(ProxyReply reply) {
    if (reply instanceof ProxyReply.Streamed s) {
      s.body().discard(materializer);
    }
  }
}
