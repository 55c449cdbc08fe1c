package org.opentela.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.net.ConnectException;
import java.net.Socket;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.LocalActorRefProvider;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;

/** How tests and benchmarks embed sims: own local system or an existing one, port 0, clean close. */
class LlmSimEmbeddingTest {
  private static final SimSettings FAST = SimSettings.defaults().withPort(0).withLatency(0, 0).withMaxTokens(2);

  @Test
  void ownSystemIsLocalEvenThoughTheNodesConfigAsksForACluster() {
    assertEquals("cluster", ConfigFactory.load().getString("pekko.actor.provider"),
        "precondition: the classpath's application.conf is the node's");
    try (LlmSim sim = LlmSim.start(FAST)) {
      assertEquals("local", sim.system().settings().config().getString("pekko.actor.provider"));
      ExtendedActorSystem classic = (ExtendedActorSystem) sim.system().classicSystem();
      assertTrue(classic.provider() instanceof LocalActorRefProvider, classic.provider().getClass().getName());
      assertEquals(200, new SimHttp(sim.port()).get("/health").statusCode());
    }
  }

  @Test
  void startsInAnActorTestKitSystemAndLeavesItRunningOnClose() {
    ActorTestKit testKit = ActorTestKit.create(
        ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
    try {
      int port;
      try (LlmSim sim = LlmSim.start(FAST.withModels("embedded"), testKit.system())) {
        port = sim.port();
        String body = new SimHttp(port).post("/v1/chat/completions",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").body();
        assertEquals("embedded", SimHttp.parse(body).get("model").asText());
        assertEquals(1, sim.stats("embedded").completed());
      }
      assertFalse(testKit.system().whenTerminated().isCompleted(), "the test's system keeps running");
      assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(), "no longer listening");
    } finally {
      testKit.shutdownTestKit();
    }
  }

  @Test
  void portZeroPicksAFreePortAndBaseUrlNamesIt() {
    try (LlmSim a = LlmSim.start(FAST); LlmSim b = LlmSim.start(FAST.withHost("0.0.0.0"))) {
      assertNotEquals(0, a.port());
      assertNotEquals(a.port(), b.port());
      assertEquals("http://127.0.0.1:" + a.port() + "/v1", a.baseUrl());
      assertEquals("http://127.0.0.1:" + b.port() + "/v1", b.baseUrl(), "a wildcard host is reached on loopback");
    }
  }

  @Test
  void aPortInUseIsAClearStartFailure() {
    try (LlmSim first = LlmSim.start(FAST)) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> LlmSim.start(FAST.withPort(first.port())));
      assertTrue(e.getMessage().startsWith("llm-sim cannot start: "), e.getMessage());
      assertTrue(e.getMessage().contains(String.valueOf(first.port())), e.getMessage());
    }
  }
}
