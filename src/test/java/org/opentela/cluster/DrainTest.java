package org.opentela.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.opentela.proxy.ServiceProxy;

/**
 * The drain waits for the requests the node's proxy serves, by asking the proxy, and for those its HTTP
 * API is still answering (a head's streams), up to the drain timeout.
 */
class DrainTest {
  private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
      "pekko.actor.provider = local").withFallback(ConfigFactory.load()));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static void answer(TestProbe<ServiceProxy.Command> proxy, int serving) {
    ServiceProxy.GetServing ask = proxy.expectMessageClass(ServiceProxy.GetServing.class, Duration.ofSeconds(10));
    ask.replyTo().tell(new ServiceProxy.Serving(serving));
  }

  private static CompletableFuture<Done> drain(TestProbe<ServiceProxy.Command> proxy) {
    return Drain.awaitIdle(testKit.system(), proxy.ref(), () -> 0, Duration.ofSeconds(30)).toCompletableFuture();
  }

  @Test
  void waitsUntilTheProxyServesNoRequest() throws Exception {
    TestProbe<ServiceProxy.Command> proxy = testKit.createTestProbe();
    CompletableFuture<Done> drained = drain(proxy);
    answer(proxy, 2);
    answer(proxy, 1);
    assertFalse(drained.isDone(), "a request is still in flight");
    answer(proxy, 0);
    drained.get(10, TimeUnit.SECONDS);
  }

  @Test
  void anIdleProxyIsDrainedAtOnce() throws Exception {
    TestProbe<ServiceProxy.Command> proxy = testKit.createTestProbe();
    CompletableFuture<Done> drained = drain(proxy);
    answer(proxy, 0);
    drained.get(10, TimeUnit.SECONDS);
    proxy.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void stopsWaitingAtTheDrainTimeout() throws Exception {
    // A proxy whose one request never ends.
    ActorRef<ServiceProxy.Command> busy = testKit.spawn(Behaviors.receiveMessage(m -> {
      ((ServiceProxy.GetServing) m).replyTo().tell(new ServiceProxy.Serving(1));
      return Behaviors.same();
    }));
    Duration timeout = Duration.ofMillis(300);
    long start = System.nanoTime();
    Drain.awaitIdle(testKit.system(), busy, () -> 0, timeout).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertTrue(System.nanoTime() - start >= timeout.toNanos(), "not before the timeout");
  }

  @Test
  void aHeadWaitsForTheStreamsItsApiIsStillSending() throws Exception {
    // A head's proxy serves nothing (it has no backend), but its clients' streams pass through its API:
    // the drain used to see 0 and let the head leave, cutting them (issue 13, item 1).
    TestProbe<ServiceProxy.Command> proxy = testKit.createTestProbe();
    java.util.concurrent.atomic.AtomicInteger answering = new java.util.concurrent.atomic.AtomicInteger(1);
    CompletableFuture<Done> drained =
        Drain.awaitIdle(testKit.system(), proxy.ref(), answering::get, Duration.ofSeconds(30)).toCompletableFuture();
    answer(proxy, 0);
    answer(proxy, 0);
    // A third question means the second answer was weighed with the stream still open.
    ServiceProxy.GetServing third = proxy.expectMessageClass(ServiceProxy.GetServing.class, Duration.ofSeconds(10));
    assertFalse(drained.isDone(), "a stream is still being sent");
    answering.set(0);
    third.replyTo().tell(new ServiceProxy.Serving(0));
    drained.get(10, TimeUnit.SECONDS);
  }
}
