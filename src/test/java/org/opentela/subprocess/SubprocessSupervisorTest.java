package org.opentela.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.table.ServiceRecord;
import org.opentela.table.TableKeeper;

/** The supervisor against real processes: {@link FakeBackend} started through --subprocess. */
class SubprocessSupervisorTest {
  private static final Duration START = Duration.ofSeconds(15);
  private static final ActorTestKit kit = ActorTestKit.create("SubprocessSupervisorTest", TestBackends.LOCAL);

  @TempDir
  Path nodeDir;
  @TempDir
  Path control;

  private final TestProbe<TableKeeper.Command> table = kit.createTestProbe();
  private ActorRef<SubprocessSupervisor.Command> supervisor;

  @AfterAll
  static void shutDown() {
    kit.shutdownTestKit();
  }

  @AfterEach
  void stopBackend() throws Exception {
    if (supervisor != null) {
      TestProbe<Done> done = kit.createTestProbe();
      supervisor.tell(new SubprocessSupervisor.Stop(true, done.ref()));
      done.expectMessage(Duration.ofSeconds(10), Done.getInstance());
    }
    BackendProcesses.stop(nodeDir, "llm", Duration.ofSeconds(2)).get();
  }

  private ActorRef<SubprocessSupervisor.Command> spawn(ServiceSettings s) {
    supervisor = kit.spawn(SubprocessSupervisor.create(s, nodeDir, table.ref()));
    return supervisor;
  }

  @Test
  void startsTheBackendAndRegistersItsModelsAsIdentityGroups() throws Exception {
    int port = freePort();
    spawn(settings("llm", port, fakeBackend(port, "m1,m2", control), List.of("all")));

    ServiceRecord s = awaitPublished(table, ServiceRecord.CONNECTED, START).service();
    long publishedAt = System.currentTimeMillis();
    assertEquals(ServiceRecord.builder("llm").status("connected").host("localhost").port(port)
        .identityGroup("model=m1", "model=m2", "all").build(), s);
    long readyAt = Long.parseLong(Files.readString(control.resolve("ready-at")));
    System.out.printf("backend ready -> PublishService: %d ms%n", publishedAt - readyAt);

    long pgid = BackendProcesses.find(nodeDir, "llm").orElseThrow().pgid();
    assertEquals(Long.toString(pgid), PgidFile.read(PgidFile.path(nodeDir, "llm")).orElseThrow().pgid() + "");
  }

  @Test
  void registersAServiceThatAlreadyRunsAndFallsBackToModelsWhenHealthIsMissing() throws Exception {
    int port = freePort();
    Files.writeString(control.resolve("no-health"), "");
    Process external = new ProcessBuilder("/bin/sh", "-c", fakeBackend(port, "e5", control))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      spawn(settings("embed", port, "", List.of("all")));
      ServiceRecord s = awaitPublished(table, ServiceRecord.CONNECTED, START).service();
      assertEquals("embed", s.name());
      assertEquals(List.of("all"), s.identityGroup());
      assertFalse(BackendProcesses.isRunning(nodeDir, "embed"), "otela manages no process without --subprocess");
    } finally {
      external.destroyForcibly().waitFor();
    }
  }

  @Test
  void restartsAnExitedBackendWithBackoffAndRegistersItAgain() throws Exception {
    int port = freePort();
    spawn(settings("llm", port, fakeBackend(port, "m1", control), List.of()));
    awaitPublished(table, ServiceRecord.CONNECTED, START);
    long firstPgid = BackendProcesses.find(nodeDir, "llm").orElseThrow().pgid();

    Files.writeString(control.resolve("crash"), "3");
    await(table, TableKeeper.WithdrawService.class, w -> w.name().equals("llm"), Duration.ofSeconds(5));
    long withdrawnAt = System.nanoTime();
    ServiceRecord again = awaitPublished(table, ServiceRecord.CONNECTED, START).service();
    assertTrue(System.nanoTime() - withdrawnAt >= Duration.ofMillis(300).toNanos(), "restarted after the backoff");
    assertEquals(1, again.restarts());
    assertEquals(3, again.lastExitCode());
    assertEquals(List.of("model=m1"), again.identityGroup());
    long secondPgid = BackendProcesses.find(nodeDir, "llm").orElseThrow().pgid();
    assertTrue(secondPgid != firstPgid, "a new process");
    assertTrue(new ProcessGroup(firstPgid).isEmpty(), "the first group is gone");
  }

  @Test
  void marksAFailingBackendUnhealthyAndRereadsItsModelsWhenItRecovers() throws Exception {
    int port = freePort();
    spawn(settings("llm", port, fakeBackend(port, "m1", control), List.of()));
    assertEquals(List.of("model=m1"), awaitPublished(table, ServiceRecord.CONNECTED, START).service().identityGroup());

    Files.writeString(control.resolve("unhealthy"), "");
    Files.writeString(control.resolve("models"), "m3");
    ServiceRecord sick = awaitPublished(table, ServiceRecord.UNHEALTHY, Duration.ofSeconds(5)).service();
    assertFalse(sick.routable());
    assertEquals(List.of("model=m1"), sick.identityGroup());

    Files.delete(control.resolve("unhealthy"));
    ServiceRecord healthy = awaitPublished(table, ServiceRecord.CONNECTED, Duration.ofSeconds(5)).service();
    assertEquals(List.of("model=m3"), healthy.identityGroup(), "models are read again, not remembered");
    assertEquals(0, healthy.restarts());
  }

  @Test
  void stopWithdrawsTheServiceAndKillsTheWholeProcessGroup() throws Exception {
    int port = freePort();
    String command = "sleep 300 & sleep 300 & " + fakeBackend(port, "m1", control);
    ActorRef<SubprocessSupervisor.Command> s = spawn(settings("llm", port, command, List.of()));
    awaitPublished(table, ServiceRecord.CONNECTED, START);
    ProcessGroup group = new ProcessGroup(BackendProcesses.find(nodeDir, "llm").orElseThrow().pgid());
    List<Long> members = group.members();
    // The JVM backend, two sleeps, the watchdog shell and its cat.
    assertTrue(members.size() >= 5, "members: " + members);

    TestProbe<Done> done = kit.createTestProbe();
    s.tell(new SubprocessSupervisor.Stop(true, done.ref()));
    await(table, TableKeeper.WithdrawService.class, w -> w.name().equals("llm"), Duration.ofSeconds(2));
    done.expectMessage(Duration.ofSeconds(10), Done.getInstance());
    supervisor = null;
    for (long pid : members) {
      assertTrue(TestBackends.isDead(pid), "pid " + pid + " is gone");
    }
    assertTrue(group.isEmpty());
    assertFalse(Files.exists(PgidFile.path(nodeDir, "llm")), "the record is deleted");
  }

  @Test
  void aStopWhileTheProcessStartsStopsItOnceItIsThere() throws Exception {
    // An earlier run's backend that ignores SIGTERM: the start stops it first, which takes the stop timeout.
    Path ready = control.resolve("orphan-ready");
    ProcessBuilder pb = new ProcessBuilder("setsid", "/bin/sh", "-c", "trap '' TERM; touch '" + ready
        + "'; while :; do sleep 0.05; done").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put(PgidFile.TOKEN_ENV, "earlier-run");
    ProcessGroup orphan = new ProcessGroup(pb.start().pid());
    eventually("the orphan to ignore SIGTERM", Duration.ofSeconds(10), () -> assertTrue(Files.exists(ready)));
    new PgidFile(orphan.pgid(), "earlier-run", "vllm serve x").write(PgidFile.path(nodeDir, "llm"));
    int port = freePort();
    spawn(settings("llm", port, "exec sleep 306", List.of()));

    TestProbe<Done> done = kit.createTestProbe();
    supervisor.tell(new SubprocessSupervisor.Stop(true, done.ref()));
    assertFalse(BackendProcesses.isRunning(nodeDir, "llm"), "the stop came while the process was starting");
    done.expectMessage(Duration.ofSeconds(15), Done.getInstance());
    supervisor = null;
    assertTrue(orphan.isEmpty(), "the earlier run's backend was stopped");
    assertTrue(BackendProcesses.find(nodeDir, "llm").map(b -> !b.isAlive()).orElse(true),
        "the process started after the stop came is stopped too");
    assertFalse(Files.exists(PgidFile.path(nodeDir, "llm")), "and its record deleted");
  }

  @Test
  void givesUpAndStopsABackendThatNeverAnswers() throws Exception {
    int port = freePort();
    spawn(TestBackends.withStartTimeout(settings("llm", port, "exec sleep 300", List.of()), Duration.ofMillis(1500)));
    eventually("the backend to start", Duration.ofSeconds(3),
        () -> assertTrue(BackendProcesses.isRunning(nodeDir, "llm")));
    long pgid = BackendProcesses.find(nodeDir, "llm").orElseThrow().pgid();
    eventually("the backend to be stopped after the start timeout", Duration.ofSeconds(6),
        () -> assertEquals(List.of(), new ProcessGroup(pgid).members()));
    table.expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void reportsLoadFromVllmGaugesAndForgetsItWhenTheyGo() throws Exception {
    int port = freePort();
    Files.writeString(control.resolve("metrics"), """
        vllm:num_requests_running{model_name="m1"} 3
        vllm:num_requests_waiting{model_name="m1"} 1
        vllm:kv_cache_usage_perc{model_name="m1"} 0.5
        """);
    spawn(settings("llm", port, fakeBackend(port, "m1", control), List.of()));
    awaitPublished(table, ServiceRecord.CONNECTED, START);
    TableKeeper.UpdateLoad first = await(table, TableKeeper.UpdateLoad.class, u -> true, Duration.ofSeconds(3));
    assertEquals("llm", first.serviceName());
    assertEquals(3, first.load().running());
    assertEquals(1, first.load().waiting());
    assertEquals(0.5, first.load().kvCacheUsage());
    // Sampled every 200 ms, but unchanged values are not sent again.
    table.expectNoMessage(Duration.ofMillis(700));

    Files.writeString(control.resolve("metrics"), "vllm:num_requests_running 5\n");
    TableKeeper.UpdateLoad second = await(table, TableKeeper.UpdateLoad.class, u -> true, Duration.ofSeconds(3));
    assertEquals(5, second.load().running());
    assertEquals(0, second.load().waiting());

    Files.delete(control.resolve("metrics"));
    TableKeeper.UpdateLoad gone = await(table, TableKeeper.UpdateLoad.class, u -> true, Duration.ofSeconds(3));
    assertNull(gone.load());
    // No gauges: sampling pauses, nothing more is sent.
    table.expectNoMessage(Duration.ofMillis(700));
  }
}
