package org.opentela.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.opentela.proxy.ProxyReply;
import org.opentela.proxy.ServiceProxy;
import org.opentela.routing.PromptPrefix;
import org.opentela.routing.Router;
import org.opentela.routing.RoutingSettings;
import org.opentela.routing.Selection;

/**
 * With {@code --lb-policy cache-aware} the HTTP layer hashes the prompt in its one parse of the body, and
 * hostile bodies (huge, deep, many messages) cost bounded work and get the usual answers. Stub router.
 */
class CacheAwareRoutesTest {
  static final ActorTestKit testKit = ActorTestKit.create(com.typesafe.config.ConfigFactory.parseString(
      "pekko.actor.provider = local"));
  static final BlockingQueue<Router.RouteRequest> routed = new LinkedBlockingQueue<>();
  static ServerBinding binding;

  @BeforeAll
  static void bind() throws Exception {
    ActorRef<Router.Command> router = testKit.spawn(Behaviors.receive(Router.Command.class)
        .onMessage(Router.RouteRequest.class, r -> {
          routed.add(r);
          r.replyTo().tell(new Router.Routed("QmWorker", new ProxyReply.Complete(1, 200, List.of(),
              "application/json", "{\"ok\":true}".getBytes())));
          return Behaviors.same();
        }).build());
    ActorRef<ServiceProxy.Command> proxy = testKit.spawn(Behaviors.<ServiceProxy.Command>ignore());
    RoutingSettings settings = new RoutingSettings(Selection.Policy.CACHE_AWARE, 2, Duration.ofSeconds(10),
        Duration.ofMinutes(1), Duration.ofSeconds(10), 32L << 20);
    binding = Http.get(testKit.system()).newServerAt("127.0.0.1", 0)
        .bind(HttpApi.route(List.of(new OpenAiRoutes(testKit.system(), router, proxy, settings, "QmSelf",
            new RequestMetrics()).route())))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void clear() {
    routed.clear();
  }

  private static HttpResponse<String> chat(String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + binding.localAddress().getPort()
            + "/v1/service/llm/v1/chat/completions")).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return org.opentela.testing.Http.client().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Router.RouteRequest lastRouted() throws InterruptedException {
    Router.RouteRequest r = routed.poll(10, TimeUnit.SECONDS);
    assertNotNull(r, "nothing reached the router");
    return r;
  }

  @Test
  void thePromptsBlocksAndTheSessionHeaderReachTheRouter() throws Exception {
    String content = "A long shared system prompt. ".repeat(40);
    HttpResponse<String> r = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"" + content
        + "\"}]}", "X-Session-Id", "chat-1");
    assertEquals(200, r.statusCode(), r.body());
    Router.RouteRequest req = lastRouted();
    assertEquals(content.length() / PromptPrefix.BLOCK_CHARS, req.fields().prefix().blocks());
    assertEquals("m", req.fields().strings().get("model"));
    assertTrue(req.request().headers().contains("chat-1"), "the session header travels with the request");
  }

  @Test
  void aHugePromptIsHashedOnlyAsFarAsTheLimit() throws Exception {
    String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(6 << 20) + "\"}]}";
    long start = System.nanoTime();
    HttpResponse<String> r = chat(body);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(PromptPrefix.MAX_BLOCKS, lastRouted().fields().prefix().blocks());
    assertTrue(System.nanoTime() - start < 20_000_000_000L, "a 6 MB body is read, parsed and routed in bounded time");
  }

  @Test
  void manyTinyMessagesAreFine() throws Exception {
    StringBuilder sb = new StringBuilder("{\"model\":\"m\",\"messages\":[");
    for (int i = 0; i < 100_000; i++) {
      sb.append(i == 0 ? "" : ",").append("{\"role\":\"user\",\"content\":\"").append(i).append("\"}");
    }
    HttpResponse<String> r = chat(sb.append("]}").toString());
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(PromptPrefix.MAX_BLOCKS, lastRouted().fields().prefix().blocks());
  }

  @Test
  void aDeeplyNestedPromptIsA400NotA500() throws Exception {
    String body = "{\"model\":\"m\",\"messages\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
    HttpResponse<String> r = chat(body);
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(r.body().contains("invalid_json") && r.body().contains("nesting depth"), r.body());
    assertTrue(routed.isEmpty());
  }

  @Test
  void aSessionHeaderOfAnySizeIsOnlyAnIdentifier() throws Exception {
    HttpResponse<String> r = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
        "X-Session-Id", "s".repeat(6000));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(0, lastRouted().fields().prefix().blocks(), "too short to hash");
  }
}
