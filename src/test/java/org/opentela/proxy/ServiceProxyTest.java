package org.opentela.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentela.ApiError;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.ServiceRecord;
import org.opentela.table.TableKeeper;
import org.opentela.testing.FakeOpenAi;
import org.opentela.testing.Ports;
import org.opentela.testing.Records;

/**
 * The {@link ServiceProxy} against a real local backend: what it replies, and how many requests it
 * counts as being served (what a draining node waits for).
 */
class ServiceProxyTest {
  // Generous timeouts: on a busy machine the backend may take seconds to accept and answer.
  private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
      "pekko.actor.provider = local\npekko.http.client.connecting-timeout = 30s").withFallback(ConfigFactory.load()));
  private static FakeOpenAi backend;
  private static ActorRef<ServiceProxy.Command> proxy;
  private static final int DEAD_PORT = Ports.free();

  @BeforeAll
  static void start() throws Exception {
    backend = FakeOpenAi.start("b", "m");
    TestProbe<TableKeeper.Command> keeper = testKit.createTestProbe();
    proxy = testKit.spawn(ServiceProxy.create(keeper.ref(), Ports.free(), Duration.ofSeconds(60)));
    ActorRef<NodeTable> tables = keeper.expectMessageClass(TableKeeper.Subscribe.class).subscriber();
    NodeRecord self = Records.worker("QmSelf").service(service("llm", backend.port)).service(service("gone", DEAD_PORT))
        .version("test").clusterAddress("").build();
    tables.tell(new NodeTable(1, "QmSelf", Map.of("QmSelf", self), Set.of("QmSelf")));
  }

  private static ServiceRecord service(String name, int port) {
    return ServiceRecord.builder(name).host("127.0.0.1").port(port).build();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    backend.close();
  }

  /** The table reached the proxy's mailbox before any request: both go through it, in the order sent. */
  private static ProxyReply forward(String service, String body, String... headers) {
    TestProbe<ProxyReply> replies = testKit.createTestProbe();
    ProxyRequest r = new ProxyRequest("req", service, "POST", "/v1/chat/completions", null, List.of(headers),
        "application/json", body.getBytes(), null, body.length(), 0);
    proxy.tell(new ServiceProxy.Forward(7, r, replies.ref()));
    return replies.receiveMessage(Duration.ofSeconds(30)); // generous: a busy machine, a JVM's first connection
  }

  private static int serving() {
    TestProbe<ServiceProxy.Serving> probe = testKit.createTestProbe();
    proxy.tell(new ServiceProxy.GetServing(probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(10)).requests();
  }

  private static void awaitServing(int expected) {
    TestProbe<Object> waiter = testKit.createTestProbe();
    waiter.awaitAssert(Duration.ofSeconds(30), () -> {
      assertEquals(expected, serving());
      return null;
    });
  }

  @Test
  void aStreamCountsAsServedUntilItEnds() throws Exception {
    ProxyReply reply = forward("llm", "{\"model\":\"m\",\"stream\":true}", "X-Fake-Chunks", "3", "X-Fake-Delay", "50");
    ProxyReply.Streamed s = assertInstanceOf(ProxyReply.Streamed.class, reply, reply::toString);
    assertEquals(200, s.status());
    assertEquals(1, serving(), "the stream is open: the request is still being served");
    CompletionStage<ByteString> all = s.body().source()
        .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), testKit.system());
    assertTrue(all.toCompletableFuture().get().utf8String().endsWith("data: [DONE]\n\n"));
    awaitServing(0);
  }

  @Test
  void aWholeReplyEndsItsExchangeAtOnce() {
    ProxyReply reply = forward("llm", "{\"model\":\"m\"}");
    ProxyReply.Complete c = assertInstanceOf(ProxyReply.Complete.class, reply, reply::toString);
    assertEquals(200, c.status());
    assertTrue(new String(c.body()).contains("hello from b"));
    awaitServing(0);
  }

  @Test
  void aServiceThisNodeDoesNotOfferIsAFailureTheRouterMayRetry() {
    ProxyReply.Failed f = assertInstanceOf(ProxyReply.Failed.class, forward("embed", "{}"));
    assertEquals(Outcome.NO_LOCAL_SERVICE, f.outcome());
    assertTrue(f.outcome().retryable());
    assertEquals(ApiError.SERVICE_UNAVAILABLE, f.problem().error());
    assertTrue(f.message().contains("QmSelf") && f.message().contains("embed"), f.message());
    assertEquals(0, serving());
  }

  @Test
  void aBackendThatRefusesConnectionsIsUnreachable() {
    ProxyReply.Failed f = assertInstanceOf(ProxyReply.Failed.class, forward("gone", "{}"));
    assertEquals(Outcome.BACKEND_UNREACHABLE, f.outcome());
    assertEquals(ApiError.BACKEND_UNREACHABLE, f.problem().error());
    // The message reaches the client: it names the service and the request id, not the backend's address.
    assertFalse(f.message().contains(Integer.toString(DEAD_PORT)), f.message());
    assertFalse(f.message().contains("127.0.0.1"), f.message());
    assertTrue(f.message().contains("'gone'") && f.message().contains("request id req"), f.message());
    awaitServing(0);
  }
}
