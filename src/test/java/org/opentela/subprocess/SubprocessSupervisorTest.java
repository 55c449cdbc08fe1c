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
    // Never registered as serving; the table says why it serves nothing (issue 13, item 5).
    ServiceRecord failed = awaitPublished(table, ServiceRecord.FAILED, Duration.ofSeconds(5)).service();
    assertTrue(failed.lastError().startsWith("did not answer within 1 s"), failed.lastError());
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

  // ---- issue 13, items 2 and 5: registration checks what it registers; the table says why not

  @Test
  void aCommandThatIsNotFoundIsNotRestartedAndTheTableSaysWhy() throws Exception {
    // `--subprocess "vllm serve ..."` without vLLM installed exited 127 and was restarted forever, while the
    // head showed "service":[] with no reason.
    spawn(settings("llm", freePort(), "no-such-program-otela-test serve m", List.of()));
    ServiceRecord failed = awaitPublished(table, ServiceRecord.FAILED, START).service();
    assertEquals(127, failed.lastExitCode());
    assertTrue(failed.lastError().startsWith("exit 127 (command not found): the shell found no program"
        + " 'no-such-program-otela-test' (the first word of --subprocess) on this node's PATH"), failed.lastError());
    assertFalse(failed.routable());
    table.expectNoMessage(Duration.ofSeconds(2)); // no restart, no other record
    assertFalse(BackendProcesses.isRunning(nodeDir, "llm"));
  }

  @Test
  void aBackendThatExitsBeforeEverAnsweringStopsBeingRestartedAfterFiveTries() throws Exception {
    spawn(settings("llm", freePort(), "echo 'no GPU found' >&2; exit 3", List.of()));
    ServiceRecord crashed = awaitPublished(table, ServiceRecord.CRASHED, START).service();
    assertEquals("exit 3", crashed.lastError());
    ServiceRecord failed = awaitPublished(table, ServiceRecord.FAILED, Duration.ofSeconds(30)).service();
    assertEquals(SubprocessSupervisor.MAX_FAILED_STARTS, failed.restarts(), "exits counted");
    assertTrue(failed.lastError().startsWith("exit 3: it exited 5 times in a row without ever answering"),
        failed.lastError());
    table.expectNoMessage(Duration.ofSeconds(3));
  }

  @Test
  void aServicePortHeldByAnotherServerIsNotRegisteredAndTheBackendWaitsForIt() throws Exception {
    // The node used to register the other server's models within 0.7 s, then flap as its own backend
    // failed to bind.
    int port = freePort();
    ServiceRecord failed;
    try (java.net.ServerSocket other = new java.net.ServerSocket(port)) {
      spawn(settings("llm", port, fakeBackend(port, "m1", control), List.of()));
      failed = awaitPublished(table, ServiceRecord.FAILED, START).service();
      assertTrue(failed.lastError().startsWith("--service.port " + port + " is in use by pid "
          + ProcessHandle.current().pid() + " ("), failed.lastError());
      assertTrue(failed.lastError().contains("otela would register that server as this node's backend"),
          failed.lastError());
      assertFalse(BackendProcesses.isRunning(nodeDir, "llm"), "the backend is not started on a taken port");
    }
    ServiceRecord s = awaitPublished(table, ServiceRecord.CONNECTED, Duration.ofSeconds(30)).service();
    assertEquals(List.of("model=m1"), s.identityGroup(), "started once the port was free");
    assertNull(s.lastError(), "a serving service has no error");
  }

  @Test
  void aBackendListeningOnAnotherPortIsNamed() throws Exception {
    // With --service.port different from the backend's real port, otela waited silently for 30 minutes.
    int servicePort = freePort();
    int realPort = freePort();
    spawn(settings("llm", servicePort, fakeBackend(realPort, "m1", control), List.of()));
    ServiceRecord starting = awaitPublished(table, ServiceRecord.STARTING, Duration.ofSeconds(40)).service();
    assertEquals("your backend listens on :" + realPort + ", but --service.port is " + servicePort
        + ": give --service.port " + realPort + ", or start the backend on port " + servicePort, starting.lastError());
    assertFalse(starting.routable());
  }
}
