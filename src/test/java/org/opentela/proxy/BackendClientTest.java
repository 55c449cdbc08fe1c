package org.opentela.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentela.telemetry.Tracing;
import org.opentela.testing.FakeOpenAi;

/** {@link BackendClient}'s reply for a requester on another node: the stream's first chunk goes with the headers. */
class BackendClientTest {
  private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
      "pekko.actor.provider = local\npekko.http.client.connecting-timeout = 30s").withFallback(ConfigFactory.load()));
  private static FakeOpenAi backend;

  @BeforeAll
  static void start() throws Exception {
    backend = FakeOpenAi.start("b", "m");
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    backend.close();
  }

  private static ProxyReply call(BackendClient client, boolean local) throws Exception {
    String body = "{\"model\":\"m\",\"stream\":true}";
    ProxyRequest r = new ProxyRequest("req", "llm", "POST", "/v1/chat/completions", null,
        List.of("X-Fake-Chunks", "3", "X-Fake-Delay", "50"), "application/json", body.getBytes(), null, body.length(), 0);
    return client.call(1, "http://127.0.0.1:" + backend.port, r, local, () -> { })
        .reply().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static String all(ProxyReply.Streamed s) throws Exception {
    return s.body().source().runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), testKit.system())
        .toCompletableFuture().get(30, TimeUnit.SECONDS).utf8String();
  }

  @Test
  void aStreamForAnotherNodeCarriesTheChunkThatCameWithItsHeaders() throws Exception {
    // A wide window: on a busy machine the first chunk may take a while to be read; it is there with the headers.
    BackendClient client = new BackendClient(testKit.system(), Duration.ofSeconds(30), 1024, Tracing.OFF,
        Duration.ofSeconds(10));
    var s = assertInstanceOf(ProxyReply.Streamed.class, call(client, false));
    String head = s.body().head().utf8String();
    assertTrue(head.startsWith("data: ") && head.contains("t0 "), head);
    String text = all(s);
    assertTrue(text.startsWith(head), "the head comes first");
    assertTrue(text.contains("t1 ") && text.contains("t2 ") && text.endsWith("data: [DONE]\n\n"), text);
    assertEquals(1, text.split("t0 ", -1).length - 1, "the first chunk once, not twice");
  }

  @Test
  void aStreamForThisJvmHasNoInlineHead() throws Exception {
    BackendClient client = new BackendClient(testKit.system(), Duration.ofSeconds(30), 1024, Tracing.OFF,
        Duration.ofSeconds(10));
    var s = assertInstanceOf(ProxyReply.Streamed.class, call(client, true));
    assertTrue(s.body().head().isEmpty());
    assertTrue(all(s).contains("t0 "));
  }
}
