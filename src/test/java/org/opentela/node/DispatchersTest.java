package org.opentela.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.opentela.config.CommandLine;

/**
 * The thread pools a node runs on (issue 17): the request path (HTTP connections, Artery's ordinary and large
 * lanes, TCP actors, routes, router, proxy) shares the default dispatcher, one thread per core; the cluster's
 * failure detection and Distributed Data keep the internal dispatcher, so that a burst of requests does not
 * delay heartbeats; the table keeper has a pool of its own.
 */
class DispatchersTest {
  private static final String DEFAULT = "pekko.actor.default-dispatcher";
  private static final String INTERNAL = "pekko.actor.internal-dispatcher";

  private static Config nodeConfig() {
    return CommandLine.parse(new String[] {"-Dotela.role=head"}).load(new Properties());
  }

  @Test
  void theRequestPathSharesTheDefaultDispatcherAndTheClusterKeepsItsOwn() {
    Config c = nodeConfig();
    assertEquals(DEFAULT, c.getString("pekko.remote.artery.advanced.use-dispatcher"),
        "Artery's ordinary and large lanes carry forwarded requests and replies");
    assertEquals(DEFAULT, c.getString("pekko.io.tcp.worker-dispatcher"));
    assertEquals(DEFAULT, c.getString("pekko.io.tcp.management-dispatcher"));
    assertEquals(INTERNAL, c.getString("pekko.remote.artery.advanced.use-control-stream-dispatcher"),
        "system messages must not queue behind requests");
    assertEquals(INTERNAL, c.getString("pekko.cluster.use-dispatcher"), "heartbeats and gossip");
    assertEquals(INTERNAL, c.getString("pekko.cluster.distributed-data.use-dispatcher"));
  }

  @Test
  void theDefaultDispatcherRunsOneThreadPerCoreUnderABurst() throws Exception {
    Config c = ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(nodeConfig().withValue("otela.tcpport", ConfigValueFactory.fromAnyRef(0)));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "dispatchers", c);
    try {
      Executor pool = system.dispatchers().lookup(DispatcherSelector.defaultDispatcher());
      Set<String> threads = ConcurrentHashMap.newKeySet();
      int tasks = 2_000;
      CountDownLatch done = new CountDownLatch(tasks);
      for (int i = 0; i < tasks; i++) {
        pool.execute(() -> {
          threads.add(Thread.currentThread().getName());
          long until = System.nanoTime() + 20_000;
          while (System.nanoTime() < until) {
            Thread.onSpinWait(); // a little work, so that the pool has reason to start every thread it may
          }
          done.countDown();
        });
      }
      assertTrue(done.await(30, TimeUnit.SECONDS));
      int cores = Runtime.getRuntime().availableProcessors();
      assertTrue(threads.size() <= Math.max(2, cores),
          "at most one thread per core (at least 2), was " + threads.size() + ": " + threads);
      assertTrue(threads.stream().allMatch(t -> t.contains("default-dispatcher")), threads.toString());
      // The table keeper's pool (signature checks of joining nodes' records) exists apart from it.
      Set<String> table = ConcurrentHashMap.newKeySet();
      CountDownLatch ran = new CountDownLatch(1);
      system.dispatchers().lookup(DispatcherSelector.fromConfig(Guardian.TABLE_DISPATCHER)).execute(() -> {
        table.add(Thread.currentThread().getName());
        ran.countDown();
      });
      assertTrue(ran.await(10, TimeUnit.SECONDS));
      assertTrue(table.stream().allMatch(t -> t.contains(Guardian.TABLE_DISPATCHER)), table.toString());
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
