package org.opentela.subprocess;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM's backend registry orders the starts and stops of one service, and only of one: a service whose
 * old backend takes its whole stop timeout to die does not hold up another service's start.
 */
class BackendProcessesTest {
  /** Long enough that "still stopping" is unmistakable, short enough for a test. */
  private static final Duration STUBBORN_GRACE = Duration.ofSeconds(2);

  @TempDir
  Path nodeDir;
  @TempDir
  Path control;

  @AfterEach
  void stopEverything() throws Exception {
    for (String name : new String[] {"slow", "fast"}) {
      BackendProcesses.stop(nodeDir, name, Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Starts a backend that ignores SIGTERM (only SIGKILL, after the grace, ends it) and says when it got
   * one; returns once it is ready to ignore it.
   */
  private void startStubborn(String name) throws Exception {
    String ready = control.resolve(name + "-ready").toString();
    String gotTerm = control.resolve(name + "-got-term").toString();
    BackendProcesses.startOrAdopt(new BackendProcess.Launch(name, "trap 'touch " + gotTerm + "' TERM; touch " + ready
        + "; while :; do sleep 0.05; done", 1, STUBBORN_GRACE, nodeDir, 0, null)).get(10, TimeUnit.SECONDS);
    eventually(name + "'s backend to trap SIGTERM", Duration.ofSeconds(10),
        () -> assertTrue(Files.exists(Path.of(ready))));
  }

  /** A plain backend; a start that replaces another backend stops that one with this stop timeout. */
  private BackendProcess.Launch sleeper(String name, String seconds) {
    return new BackendProcess.Launch(name, "exec sleep " + seconds, 1, STUBBORN_GRACE, nodeDir, 0, null);
  }

  private void awaitTerm(String name) {
    eventually(name + "'s old backend to get SIGTERM", Duration.ofSeconds(10),
        () -> assertTrue(Files.exists(control.resolve(name + "-got-term"))));
  }

  @Test
  void anotherServiceStartsWhileAServiceWaitsForItsOldBackendToStop() throws Exception {
    startStubborn("slow");
    // Another command for "slow": its old backend must be stopped first, which takes the whole grace.
    CompletableFuture<BackendProcesses.Started> restart = BackendProcesses.startOrAdopt(sleeper("slow", "301"));
    awaitTerm("slow");

    BackendProcesses.Started fast = BackendProcesses.startOrAdopt(sleeper("fast", "302")).get(10, TimeUnit.SECONDS);
    assertTrue(fast.backend().isAlive());
    assertFalse(restart.isDone(), "fast started while slow's old backend was still stopping");
    assertTrue(restart.get(10, TimeUnit.SECONDS).backend().isAlive(), "and slow's new backend started after it");
  }

  @Test
  void aStopAfterAStartStopsWhatThatStartStarted() throws Exception {
    startStubborn("slow");
    CompletableFuture<BackendProcesses.Started> restart = BackendProcesses.startOrAdopt(sleeper("slow", "303"));
    awaitTerm("slow");
    BackendProcesses.stop(nodeDir, "slow", Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS);

    assertTrue(restart.isDone(), "the stop waited for the start queued before it");
    BackendProcess started = restart.get().backend();
    assertFalse(started.isAlive(), "the backend that start started is stopped");
    assertFalse(BackendProcesses.isRunning(nodeDir, "slow"));
  }
}
