package org.opentela.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.opentela.ApiError;
import org.opentela.proxy.Outcome;
import org.opentela.proxy.ProxyReply;
import org.opentela.proxy.ProxyRequest;
import org.opentela.proxy.ServiceProxy;
import org.opentela.proxy.StreamBody;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.TableKeeper;
import org.opentela.testing.Records;

/**
 * The {@link Router} on its own: hand-fed tables, a {@link TestProbe} as each node's {@link ServiceProxy},
 * and settings in milliseconds, so that retry, cooldown, the first-byte timeout, late replies and lost
 * nodes are each checked in well under a second.
 */
class RouterTest {
  private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
      "pekko.actor.provider = local").withFallback(ConfigFactory.load()));
  private static final String SELF = "QmHead";
  private static final String A = "QmNodeA";
  private static final String B = "QmNodeB";
  /** How long a test waits for what must happen: generous, for a busy machine; passing tests never wait it out. */
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** Timeouts and cooldown long enough not to play a part. */
  private static final RoutingSettings SLOW = settings(Duration.ofSeconds(5), Duration.ofSeconds(5));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static RoutingSettings settings(Duration firstByte, Duration cooldown) {
    return new RoutingSettings(Selection.Policy.LEAST_LOADED, 2, firstByte, Duration.ofSeconds(30), cooldown, 1 << 20);
  }

  /** A worker record serving the service "llm" with {@code groups}; {@code uid} names its incarnation. */
  private static NodeRecord worker(String id, long uid, String... groups) {
    return Records.worker(id).service(Records.llm(groups).host("127.0.0.1").build()).version("test")
        .clusterAddress("pekko://otela@10.0.0.1:" + (40000 + Math.floorMod(id.hashCode(), 1000))).clusterUid(uid)
        .apiPort(8092).build();
  }

  private static NodeTable table(long version, List<NodeRecord> records, Set<String> connected) {
    Map<String, NodeRecord> byId = new LinkedHashMap<>();
    records.forEach(r -> byId.put(r.id(), r));
    return new NodeTable(version, SELF, byId, connected);
  }

  /** A router under test: its table comes from the test, and each node's proxy is a probe. */
  private static final class Fixture {
    final Map<String, TestProbe<ServiceProxy.Command>> proxies = new LinkedHashMap<>();
    final TestProbe<Router.RouteReply> client = testKit.createTestProbe();
    final ActorRef<NodeTable> tables;
    final ActorRef<Router.Command> router;
    final io.prometheus.metrics.model.registry.PrometheusRegistry registry =
        new io.prometheus.metrics.model.registry.PrometheusRegistry();
    final RoutingMetrics metrics = new RoutingMetrics(registry);
    long version;
    int requests;

    Fixture(RoutingSettings settings, String... nodes) {
      for (String n : nodes) {
        proxies.put(n, testKit.createTestProbe());
      }
      TestProbe<TableKeeper.Command> keeper = testKit.createTestProbe();
      TestProbe<ServiceProxy.Command> local = testKit.createTestProbe();
      router = testKit.spawn(Router.create(keeper.ref(), local.ref(), r -> proxies.get(r.id()).ref(), settings,
          metrics, org.opentela.telemetry.Tracing.OFF));
      tables = keeper.expectMessageClass(TableKeeper.Subscribe.class).subscriber();
    }

    /** The router's series, as a scrape reads them. */
    org.opentela.testing.MetricsText scrape() {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      try {
        io.prometheus.metrics.expositionformats.ExpositionFormats.init().getPrometheusTextFormatWriter()
            .write(out, registry.scrape());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return org.opentela.testing.MetricsText.parse(out.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    void table(List<NodeRecord> records, Set<String> connected) {
      tables.tell(RouterTest.table(++version, records, connected));
    }

    void route(String model) {
      route(model, null);
    }

    /** A chat request to "llm" with these parsed fields and end-to-end headers (name, value pairs). */
    void route(MatchFields fields, List<String> headers) {
      ProxyRequest req = new ProxyRequest("req-" + (++requests), "llm", "POST", "/v1/chat/completions", null,
          headers, "application/json", null, null, 0, 0);
      router.tell(new Router.RouteRequest("llm", fields, 0, null, req, ByteString.fromString("{}"), client.ref()));
    }

    void route(String model, String pinnedPeer) {
      routeWith(model == null ? MatchFields.NONE : MatchFields.ofHeader("model=" + model), pinnedPeer);
    }

    void routeWith(MatchFields fields, String pinnedPeer) {
      ProxyRequest req = new ProxyRequest("req-" + fields.strings(), pinnedPeer == null ? "llm" : null, "POST",
          "/v1/chat/completions", null, List.of(), "application/json", null, null, 0, 0);
      router.tell(new Router.RouteRequest(pinnedPeer == null ? "llm" : null, fields, 0, pinnedPeer, req,
          ByteString.fromString("{}"), client.ref()));
    }

    /**
     * The next request forwarded to any node's proxy (which one is the policy's choice), and that node.
     * Aborts sent meanwhile are kept in {@link #aborts}.
     */
    Sent nextForward() {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        for (Map.Entry<String, TestProbe<ServiceProxy.Command>> e : proxies.entrySet()) {
          try {
            ServiceProxy.Command c = e.getValue().receiveMessage(Duration.ofMillis(5));
            if (c instanceof ServiceProxy.Abort a) {
              aborts.add(new Aborted(e.getKey(), a));
            } else {
              return new Sent(e.getKey(), (ServiceProxy.Forward) c);
            }
          } catch (AssertionError nothingYet) {
            // the next probe
          }
        }
      }
      throw new AssertionError("no request reached any proxy within " + WAIT);
    }

    final List<Aborted> aborts = new ArrayList<>();

    /** {@code sent}'s node was told to abort it (now or while {@link #nextForward} waited). */
    void expectAbort(Sent sent) {
      for (Aborted a : aborts) {
        if (a.node().equals(sent.node()) && a.abort().attemptId() == sent.forward().attemptId()) {
          return;
        }
      }
      ServiceProxy.Abort a = assertInstanceOf(ServiceProxy.Abort.class, proxy(sent.node()).receiveMessage(WAIT));
      assertEquals(sent.forward().attemptId(), a.attemptId());
      assertEquals(sent.forward().replyTo(), a.replyTo(), "the abort names the requester the reply would go to");
    }

    TestProbe<ServiceProxy.Command> proxy(String node) {
      return proxies.get(node);
    }

    Router.Rejected expectRejected(ApiError expected) {
      Router.Rejected r = assertInstanceOf(Router.Rejected.class, client.receiveMessage(WAIT));
      assertEquals(expected, r.problem().error(), r.problem().message());
      return r;
    }

    Router.Routed expectRouted(String peer) {
      Router.Routed r = assertInstanceOf(Router.Routed.class, client.receiveMessage(WAIT));
      assertEquals(peer, r.peerId());
      return r;
    }
  }

  /** A router whose table has two connected providers, A and B, of the model "m". */
  private static Fixture twoProviders(RoutingSettings settings) {
    Fixture f = new Fixture(settings, A, B);
    f.table(List.of(worker(A, 1, "model=m"), worker(B, 2, "model=m")), Set.of(SELF, A, B));
    return f;
  }

  private record Aborted(String node, ServiceProxy.Abort abort) {}

  private record Sent(String node, ServiceProxy.Forward forward) {
    void answer(int status) {
      forward.replyTo().tell(new ProxyReply.Complete(forward.attemptId(), status, List.of(), "text/plain",
          ("from " + node).getBytes()));
    }

    void fail(Outcome outcome, Object... args) {
      forward.replyTo().tell(outcome.failed(forward.attemptId(), args));
    }
  }

  private static String other(String node) {
    return node.equals(A) ? B : A;
  }

  /** A streamed reply whose body never ends on its own; {@code ended} completes when it is cancelled. */
  private static ProxyReply.Streamed endlessStream(long attemptId, CompletableFuture<Void> ended) {
    Source<ByteString, NotUsed> body = Source.<ByteString>never().watchTermination((nu, done) -> {
      done.whenComplete((d, err) -> ended.complete(null));
      return NotUsed.getInstance();
    });
    return new ProxyReply.Streamed(attemptId, 200, List.of(), "text/event-stream", -1,
        StreamBody.of(body, true, Materializer.matFromSystem(testKit.system())));
  }

  @Test
  void anAttemptThatFailsBeforeTheFirstByteIsRetriedOnAnotherProvider() {
    Fixture f = twoProviders(SLOW);
    f.route("m");
    Sent first = f.nextForward();
    first.fail(Outcome.BACKEND_UNREACHABLE, "http://127.0.0.1:8080", "Connection refused");
    Sent retry = f.nextForward();
    assertEquals(1, f.metrics.inFlight().get(retry.node()), "the retry is in flight to its worker");
    assertEquals(0, f.metrics.inFlight().getOrDefault(first.node(), 0), "the failed attempt is not");
    assertEquals(other(first.node()), retry.node(), "the retry goes to the provider not tried yet");
    assertEquals(first.forward().request().requestId(), retry.forward().request().requestId());
    assertNotEquals(first.forward().attemptId(), retry.forward().attemptId(), "each attempt has its own id");
    retry.answer(200);
    ProxyReply.Complete c = assertInstanceOf(ProxyReply.Complete.class, f.expectRouted(retry.node()).reply());
    assertEquals("from " + retry.node(), new String(c.body()));
    org.opentela.testing.MetricsText m = f.scrape();
    assertEquals(1, m.value("otela_retries_total", "service", "llm", "outcome", "backend_unreachable"));
    assertEquals(1, m.value("otela_failovers_total", "service", "llm"));
    assertEquals(0, m.value("otela_worker_requests_in_flight", "worker", retry.node()), "answered: no longer in flight");
  }

  @Test
  void aRetryAfterTheFirstWorkerFailedWithoutReadingAStreamedBodyStillCarriesTheWholeBody() throws Exception {
    // A large body crosses as a stream ref, which is read once: each attempt needs its own (issue 17).
    Fixture f = twoProviders(settings(Duration.ofSeconds(5), Duration.ofSeconds(30)));
    byte[] bytes = new byte[9 * 1024 * 1024 + 17]; // past the large-message lane's 8 MiB: a stream ref
    new java.util.Random(3).nextBytes(bytes);
    ByteString body = ByteString.fromArrayUnsafe(bytes);
    ProxyRequest req = new ProxyRequest("req-large", "llm", "POST", "/v1/chat/completions", null, List.of(),
        "application/json", null, null, body.size(), 0);
    f.router.tell(new Router.RouteRequest("llm", MatchFields.ofHeader("model=m"), 0, null, req, body, f.client.ref()));
    Sent first = f.nextForward();
    assertTrue(first.forward().request().bodyRef() != null, "streamed, not inline");
    first.fail(Outcome.BACKEND_UNREACHABLE, "http://127.0.0.1:8080", "Connection refused");
    Sent retry = f.nextForward();
    assertEquals(other(first.node()), retry.node());
    assertNotEquals(first.forward().request().bodyRef(), retry.forward().request().bodyRef(), "a fresh stream");
    ByteString got = retry.forward().request().bodyRef().getSource()
        .runFold(ByteString.emptyByteString(), ByteString::concat, Materializer.matFromSystem(testKit.system()))
        .toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertEquals(body.size(), retry.forward().request().contentLength());
    assertTrue(java.util.Arrays.equals(bytes, got.toArray()), "the second worker reads the whole body");
    retry.answer(200);
    f.expectRouted(retry.node());
  }

  @Test
  void aFailureThatSaysSomethingAboutTheRequestIsNotRetried() {
    Fixture f = twoProviders(SLOW);
    f.route("m");
    f.nextForward().fail(Outcome.FIRST_BYTE_TIMEOUT, "the backend took too long");
    assertTrue(f.expectRejected(ApiError.TIMEOUT).problem().message().contains("the backend took too long"));
    f.proxy(A).expectNoMessage(Duration.ofMillis(50));
    f.proxy(B).expectNoMessage(Duration.ofMillis(1));
  }

  @Test
  void whenEveryProviderFailsTheClientGetsAllProvidersFailedNamingTheLastFailure() {
    Fixture f = twoProviders(SLOW);
    f.route("m");
    f.nextForward().fail(Outcome.BACKEND_UNREACHABLE, "http://a", "refused");
    Sent second = f.nextForward();
    second.fail(Outcome.NO_LOCAL_SERVICE, second.node(), "llm", "[]");
    String message = f.expectRejected(ApiError.ALL_PROVIDERS_FAILED).problem().message();
    assertTrue(message.contains("2 tried") && message.contains(second.node()), message);
  }

  @Test
  void aProviderThatFailedCoolsDownAndIsPickedAgainOnceTheCooldownIsOver() {
    Duration cooldown = Duration.ofMillis(300);
    Fixture f = twoProviders(settings(Duration.ofSeconds(5), cooldown));
    f.route("m");
    Sent first = f.nextForward();
    String failed = first.node();
    String healthy = other(failed);
    long failedAt = System.nanoTime();
    first.fail(Outcome.BACKEND_UNREACHABLE, "http://x", "refused");
    Sent retry = f.nextForward();
    assertEquals(healthy, retry.node());
    // The retry stays unanswered: the healthy node now has one request in flight and the failed one none,
    // so least-loaded would pick the failed node, unless it is cooling down.
    f.route("m");
    Sent during = f.nextForward();
    if (during.node().equals(failed)) { // legitimate only on a machine so busy that the cooldown ran out already
      assertTrue(System.nanoTime() - failedAt >= cooldown.toNanos(), "the failed provider was picked while cooling down");
    }
    // Once the cooldown is over, the idle provider is preferred again.
    f.client.awaitAssert(WAIT, Duration.ofMillis(20), () -> {
      f.route("m");
      assertEquals(failed, f.nextForward().node());
      return null;
    });
    assertTrue(System.nanoTime() - failedAt >= cooldown.toNanos(), "not before the cooldown ran out");
  }

  @Test
  void anAttemptWithoutResponseHeadersWithinTheFirstByteTimeoutIsAnsweredWith504() {
    Duration firstByte = Duration.ofMillis(100);
    Fixture f = twoProviders(settings(firstByte, Duration.ofSeconds(5)));
    long sent = System.nanoTime();
    f.route("m");
    Sent silent = f.nextForward();
    Router.Rejected r = f.expectRejected(ApiError.TIMEOUT);
    long tookMs = (System.nanoTime() - sent) / 1_000_000;
    assertTrue(tookMs >= firstByte.toMillis(), "not before the first-byte timeout: " + tookMs + " ms");
    assertTrue(tookMs < WAIT.toMillis(), "answered after " + tookMs + " ms"); // the sweep runs every 10 ms
    assertTrue(r.problem().message().contains(silent.node()), r.problem().message());
    // The worker is told to drop the request: its backend stops working for nobody.
    f.expectAbort(silent);
    f.proxy(other(silent.node())).expectNoMessage(Duration.ofMillis(50));

    // The worker answers after all: its stream is freed, and the client hears nothing more.
    CompletableFuture<Void> ended = new CompletableFuture<>();
    silent.forward().replyTo().tell(endlessStream(silent.forward().attemptId(), ended));
    ended.orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
    f.client.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aLateReplyForAnAttemptGivenUpIsDiscardedAndItsStreamCancelled() {
    Fixture f = new Fixture(SLOW, A, B);
    List<NodeRecord> both = List.of(worker(A, 1, "model=m"), worker(B, 2, "model=m"));
    f.table(both, Set.of(SELF, A, B));
    f.route("m");
    Sent first = f.nextForward();
    // The target becomes unreachable: the router retries on the other provider...
    Set<String> withoutFirst = new HashSet<>(Set.of(SELF, A, B));
    withoutFirst.remove(first.node());
    f.table(both, withoutFirst);
    Sent retry = f.nextForward();
    assertEquals(other(first.node()), retry.node());
    // ...and the first node, reachable again, answers the attempt that was given up.
    f.table(both, Set.of(SELF, A, B));
    CompletableFuture<Void> ended = new CompletableFuture<>();
    first.forward().replyTo().tell(endlessStream(first.forward().attemptId(), ended));
    ended.orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
    retry.answer(200);
    f.expectRouted(retry.node());
    f.client.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aRequestWaitingOnANodeThatLeavesTheTableIsRetriedElsewhere() {
    Fixture f = twoProviders(SLOW);
    f.route("m");
    Sent first = f.nextForward();
    String lost = first.node();
    String kept = other(lost);
    f.table(List.of(worker(kept, lost.equals(A) ? 2 : 1, "model=m")), Set.of(SELF, kept));
    Sent retry = f.nextForward();
    assertEquals(kept, retry.node());
    retry.answer(201);
    assertEquals(201, ((ProxyReply.Complete) f.expectRouted(kept).reply()).status());
  }

  @Test
  void aRequestWaitingOnANodeThatRestartedIsRetriedElsewhere() {
    Fixture f = twoProviders(SLOW);
    f.route("m");
    String restarted = f.nextForward().node();
    // Same peer id, new incarnation (cluster uid): the old incarnation will never answer.
    f.table(List.of(worker(A, restarted.equals(A) ? 11 : 1, "model=m"), worker(B, restarted.equals(B) ? 12 : 2,
        "model=m")), Set.of(SELF, A, B));
    Sent retry = f.nextForward();
    assertEquals(other(restarted), retry.node());
    retry.answer(200);
    f.expectRouted(other(restarted));
  }

  @Test
  void aPinnedRequestWhoseNodeIsLostIsNotRetried() {
    Fixture f = twoProviders(SLOW);
    f.route(null, A);
    assertEquals(A, f.nextForward().node());
    f.table(List.of(worker(B, 2, "model=m")), Set.of(SELF, B));
    assertTrue(f.expectRejected(ApiError.NODE_UNREACHABLE).problem().message().contains(A));
    f.proxy(B).expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void requestsNoProviderCanTakeAreRejectedWithTheCataloguesErrors() {
    Fixture f = new Fixture(SLOW, A, B);
    f.table(List.of(worker(A, 1, "model=m"), worker(B, 2, "model=m", "model=only-b")), Set.of(SELF, A));

    // A model no node registers: 404, which SDKs do not retry (it was a 503: 6 x 503 for 2 calls, issue 13
    // item 4), saying in plain words how to let a catch-all worker answer.
    f.route("gpt-9");
    String notFound = f.expectRejected(ApiError.MODEL_NOT_FOUND).problem().message();
    assertTrue(notFound.contains("Available models: [m]") && notFound.contains("send the header X-Otela-Fallback: 2"),
        notFound);
    // A model the pool has, whose only worker is unreachable now: transient, 503.
    f.route("only-b");
    assertTrue(f.expectRejected(ApiError.MODEL_NOT_AVAILABLE).problem().message().contains("[m]"));
    f.route(null);
    assertTrue(f.expectRejected(ApiError.MODEL_REQUIRED).problem().message().contains("[m]"),
        "a body without a model is the client's error: 400, which SDKs do not retry");
    f.routeWith(MatchFields.ofHeader("team=x"), null);
    f.expectRejected(ApiError.NO_MATCHING_PROVIDER);
    f.route(null, "QmNobody");
    f.expectRejected(ApiError.PEER_NOT_FOUND);
    f.route(null, B);
    f.expectRejected(ApiError.PEER_UNREACHABLE);
    f.router.tell(new Router.RouteRequest("embed", MatchFields.NONE, 0, null, new ProxyRequest("r", "embed", "POST",
        "/", null, List.of(), null, null, null, 0, 0), ByteString.emptyByteString(), f.client.ref()));
    assertTrue(f.expectRejected(ApiError.SERVICE_NOT_FOUND).problem().message().contains("[llm]"));
    f.proxy(A).expectNoMessage(Duration.ofMillis(20));
  }

  @Test
  void aModelThatIsNotAStringIsRejectedWith400NamingWhatItWas() throws Exception {
    Fixture f = twoProviders(SLOW);
    for (String body : List.of("{\"model\":null}", "{\"model\":7}", "{\"model\":1e999999}", "{\"model\":[\"m\"]}",
        "{\"model\":{\"id\":\"m\"}}", "{\"model\":true}")) {
      byte[] bytes = body.getBytes();
      f.routeWith(MatchFields.ofJson(bytes, 0, bytes.length), null);
      String message = f.expectRejected(ApiError.INVALID_MODEL).problem().message();
      assertTrue(message.contains("\"model\"") && message.contains("[m]"), body + ": " + message);
    }
    f.routeWith(MatchFields.ofJson("{\"messages\":[]}".getBytes(), 0, 15), null);
    f.expectRejected(ApiError.MODEL_REQUIRED);
    f.proxy(A).expectNoMessage(Duration.ofMillis(20));
    f.proxy(B).expectNoMessage(Duration.ofMillis(1));
  }

  @Test
  void aWorkerThatTakesAllRequestsServesOneWithoutAModel() throws Exception {
    Fixture f = new Fixture(SLOW, A);
    f.table(List.of(worker(A, 1, "all")), Set.of(SELF, A));
    // With X-Otela-Fallback: 2, the catch-all tier: the model does not matter.
    f.router.tell(new Router.RouteRequest("llm", MatchFields.ofJson("{\"model\":7}".getBytes(), 0, 11), 2, null,
        new ProxyRequest("r", "llm", "POST", "/v1/chat/completions", null, List.of(), "application/json", null, null,
            0, 0), ByteString.fromString("{}"), f.client.ref()));
    f.nextForward().answer(200);
    f.expectRouted(A);
  }

  @Test
  void aCancelledRequestIsAbortedOnItsWorkerAndAnsweredClientClosed() {
    Fixture f = twoProviders(SLOW);
    f.route("m");
    Sent sent = f.nextForward();
    f.router.tell(new Router.Cancel(f.client.ref()));
    f.expectAbort(sent);
    f.expectRejected(ApiError.CLIENT_CLOSED_REQUEST);
    // The worker confirms (its reply to an aborted attempt): nothing more reaches the client, no retry.
    sent.fail(Outcome.CANCELLED);
    f.client.expectNoMessage(Duration.ofMillis(50));
    f.proxy(other(sent.node())).expectNoMessage(Duration.ofMillis(1));
    // A cancel after the answer does nothing.
    f.route("m");
    Sent next = f.nextForward();
    next.answer(200);
    f.expectRouted(next.node());
    f.router.tell(new Router.Cancel(f.client.ref()));
    f.proxy(next.node()).expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void anAbortThatIsNotConfirmedIsSentAgain() {
    Fixture f = twoProviders(SLOW);
    f.route("m");
    Sent sent = f.nextForward();
    f.router.tell(new Router.Cancel(f.client.ref()));
    f.expectAbort(sent);
    f.expectRejected(ApiError.CLIENT_CLOSED_REQUEST);
    // Lost on the way (the worker never replied): sent again about 2 s later.
    ServiceProxy.Abort again = assertInstanceOf(ServiceProxy.Abort.class, f.proxy(sent.node()).receiveMessage(WAIT));
    assertEquals(sent.forward().attemptId(), again.attemptId());
  }

  @Test
  void modelsAreListedPerServiceAndAnUnknownServiceIsRejected() {
    Fixture f = new Fixture(SLOW, A, B);
    f.table(List.of(worker(A, 1, "model=m", "model=n"), worker(B, 2, "model=m")), Set.of(SELF, A, B));
    TestProbe<Router.ModelsReply> models = testKit.createTestProbe();
    f.router.tell(new Router.ListModels("llm", models.ref()));
    assertEquals(List.of("m", "n"), new ArrayList<>(((Router.Models) models.receiveMessage()).models()));
    f.router.tell(new Router.ListModels("embed", models.ref()));
    Router.Rejected r = assertInstanceOf(Router.Rejected.class, models.receiveMessage());
    assertEquals(ApiError.SERVICE_NOT_FOUND, r.problem().error());
    assertFalse(r.problem().message().isBlank());
  }

  /** Cache-aware, with a worker overloaded as soon as it has 2 requests more than the least loaded. */
  private static final RoutingSettings CACHE_AWARE = new RoutingSettings(Selection.Policy.CACHE_AWARE, 2,
      Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(5), 1 << 20,
      new CacheAwareSettings(1, 1.0, 1024, 0.3));

  private static MatchFields chat(String... contents) throws MatchFields.MalformedJson {
    StringBuilder sb = new StringBuilder("{\"model\":\"m\",\"messages\":[");
    for (int i = 0; i < contents.length; i++) {
      sb.append(i == 0 ? "" : ",").append("{\"role\":\"").append(i % 2 == 0 ? "user" : "assistant")
          .append("\",\"content\":\"").append(contents[i]).append("\"}");
    }
    byte[] body = sb.append("]}").toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return MatchFields.ofJson(body, 0, body.length, true);
  }

  @Test
  void underCacheAwareASessionStaysOnItsWorkerUntilItsOwnRequestsOverloadIt() throws Exception {
    Fixture f = twoProviders(CACHE_AWARE);
    List<String> session = List.of("X-Session-Id", "conversation-42");
    MatchFields fields = chat("hello");
    f.route(fields, session);
    Sent first = f.nextForward();
    String home = first.node();
    // Still in flight: least-loaded would now pick the other worker, the session stays.
    f.route(fields, session);
    Sent second = f.nextForward();
    assertEquals(home, second.node(), "the session's second request goes where its first went");
    // Two in flight against none: more than the threshold above the least loaded, so balance wins.
    f.route(fields, session);
    assertEquals(other(home), f.nextForward().node(), "an overloaded worker sheds the session's traffic");
    // Its requests answered, the worker is no longer overloaded and gets the session back.
    first.answer(200);
    f.expectRouted(home);
    second.answer(200);
    f.expectRouted(home);
    f.route(fields, session);
    assertEquals(home, f.nextForward().node());
  }

  @Test
  void underCacheAwareASessionsRequestThatFailsIsRetriedOnTheOtherWorker() throws Exception {
    Fixture f = twoProviders(CACHE_AWARE);
    f.route(chat("hello"), List.of("X-Session-Id", "conversation-7"));
    Sent first = f.nextForward();
    first.fail(Outcome.BACKEND_UNREACHABLE, "http://127.0.0.1:8080", "Connection refused");
    Sent retry = f.nextForward();
    assertEquals(other(first.node()), retry.node(), "affinity never sends a retry back to the failed worker");
    retry.answer(200);
    f.expectRouted(retry.node());
  }

  @Test
  void underCacheAwareTheNextTurnOfAConversationGoesToTheWorkerThatServedItsPrefix() throws Exception {
    Fixture f = twoProviders(CACHE_AWARE);
    String system = "You are a careful assistant who answers in full sentences. ".repeat(40);
    String question = "What does a prefix cache keep, and for how long? ".repeat(10);
    f.route(chat(system, question), List.of());
    Sent turn1 = f.nextForward();
    String holder = turn1.node();
    // The first turn is still in flight, so the holder is the more loaded worker: least-loaded would pick
    // the other one; the longer prompt that starts with the first turn follows its prefix.
    f.route(chat(system, question, "It keeps the KV blocks of recent prompts. ".repeat(10), "And then? "), List.of());
    assertEquals(holder, f.nextForward().node());
    // A prompt that shares nothing goes by load: to the idle worker.
    f.route(chat("Something else entirely, ".repeat(60)), List.of());
    assertEquals(other(holder), f.nextForward().node());
  }
}
