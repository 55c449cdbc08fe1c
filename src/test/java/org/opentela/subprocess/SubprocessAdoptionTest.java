package org.opentela.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.subprocess.TestBackends.await;
import static org.opentela.subprocess.TestBackends.awaitPublished;
import static org.opentela.subprocess.TestBackends.fakeBackend;
import static org.opentela.subprocess.TestBackends.freePort;
import static org.opentela.subprocess.TestBackends.settings;
import static org.opentela.testing.Eventually.eventually;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.table.ServiceRecord;
import org.opentela.table.TableKeeper;

/** A node that replaces its actor system keeps its backend; a node that stops ends it. */
class SubprocessAdoptionTest {
  private static final Duration START = Duration.ofSeconds(15);

  @TempDir
  Path nodeDir;
  @TempDir
  Path control;

  @AfterEach
  void stopBackend() throws Exception {
    BackendProcesses.stop(nodeDir, "llm", Duration.ofSeconds(2)).get();
  }

  @Test
  void aNewActorSystemAdoptsTheRunningBackendInsteadOfStartingAnother() throws Exception {
    int port = freePort();
    ServiceSettings s = settings("llm", port, fakeBackend(port, "m1", control), List.of());

    ActorTestKit first = ActorTestKit.create("first", TestBackends.LOCAL);
    TestProbe<TableKeeper.Command> table1 = first.createTestProbe();
    first.spawn(SubprocessSupervisor.create(s, nodeDir, table1.ref()), "subprocess-llm");
    awaitPublished(table1, ServiceRecord.CONNECTED, START);
    // Give it a history to carry over: one crash and restart.
    Files.writeString(control.resolve("crash"), "7");
    ServiceRecord restarted = awaitPublished(table1, ServiceRecord.CONNECTED, START).service();
    assertEquals(1, restarted.restarts());
    long pgid = BackendProcesses.find(nodeDir, "llm").orElseThrow().pgid();
    Files.delete(control.resolve("ready-at"));

    // The node is downed: its actor system shuts down, the backend stays.
    CoordinatedShutdown.get(first.system()).runAll(CoordinatedShutdown.clusterDowningReason())
        .toCompletableFuture().get();
    await(table1, TableKeeper.WithdrawService.class, w -> w.name().equals("llm"), Duration.ofSeconds(2));
    assertTrue(BackendProcesses.isRunning(nodeDir, "llm"), "the backend outlives the downed actor system");

    ActorTestKit second = ActorTestKit.create("second", TestBackends.LOCAL);
    try {
      TestProbe<TableKeeper.Command> table2 = second.createTestProbe();
      long spawnedAt = System.nanoTime();
      second.spawn(SubprocessSupervisor.create(s, nodeDir, table2.ref()), "subprocess-llm");
      ServiceRecord adopted = awaitPublished(table2, ServiceRecord.CONNECTED, START).service();
      System.out.printf("adoption -> PublishService: %d ms%n", (System.nanoTime() - spawnedAt) / 1_000_000);
      assertEquals(pgid, BackendProcesses.find(nodeDir, "llm").orElseThrow().pgid(), "the same process");
      assertFalse(Files.exists(control.resolve("ready-at")), "no second backend was started");
      assertEquals(List.of("model=m1"), adopted.identityGroup());
      assertEquals(1, adopted.restarts(), "the history is carried over");
      assertEquals(7, adopted.lastExitCode());
    } finally {
      // A real stop: the backend goes with the node.
      second.shutdownTestKit();
    }
    eventually("the backend to stop with the node", Duration.ofSeconds(5),
        () -> assertEquals(List.of(), new ProcessGroup(pgid).members()));
  }

  @Test
  void onlyReplacingTheActorSystemKeepsTheBackend() {
    assertTrue(BackendShutdown.replacesMember(BackendShutdown.NODE_RESTART));
    assertTrue(BackendShutdown.replacesMember(CoordinatedShutdown.clusterDowningReason()));
    assertFalse(BackendShutdown.replacesMember(CoordinatedShutdown.jvmExitReason()));
    assertFalse(BackendShutdown.replacesMember(CoordinatedShutdown.actorSystemTerminateReason()));
    assertFalse(BackendShutdown.replacesMember(CoordinatedShutdown.clusterLeavingReason()));
    assertFalse(BackendShutdown.replacesMember(CoordinatedShutdown.unknownReason()));
  }
}
