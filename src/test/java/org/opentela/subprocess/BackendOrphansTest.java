package org.opentela.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No backend outlives its node: not when the JVM is SIGKILLed, not across a restart of the node. */
class BackendOrphansTest {
  private static final Duration GRACE = Duration.ofSeconds(2);

  @TempDir
  Path nodeDir;

  @Test
  void backendDiesWhenItsJvmIsKilled() throws Exception {
    Process host = new ProcessBuilder("/bin/sh", "-c", "exec " + TestBackends.java(BackendHost.class) + " '"
        + nodeDir + "' 'sleep 300 & exec sleep 301'").redirectErrorStream(true).start();
    ProcessGroup group;
    try (var out = new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      do {
        line = out.readLine();
      } while (line != null && !line.startsWith("pgid "));
      assertTrue(line != null, "the host JVM printed the backend's group");
      group = new ProcessGroup(Long.parseLong(line.substring(5)));
      eventually("both sleeps to run", Duration.ofSeconds(5),
          () -> assertTrue(group.members().size() >= 4, () -> "group members: " + group.members()));

      host.destroyForcibly().waitFor();
      long killedAt = System.nanoTime();
      eventually("the watchdog to end the group", Duration.ofSeconds(5),
          () -> assertEquals(List.of(), group.members()));
      System.out.printf("JVM SIGKILL -> backend group gone: %d ms%n", (System.nanoTime() - killedAt) / 1_000_000);
    }
    assertTrue(Files.exists(PgidFile.path(nodeDir, "llm")), "the record stays for the next start");
  }

  @Test
  void nextStartStopsTheBackendAnEarlierRunLeftBehind() throws Exception {
    ProcessGroup orphan = startGroup("sleep 300 & exec sleep 301", "token-1");
    new PgidFile(orphan.pgid(), "token-1", "vllm serve x").write(PgidFile.path(nodeDir, "llm"));

    var launch = new BackendProcess.Launch("llm", "exec sleep 302", 1, GRACE, nodeDir, 0, null);
    BackendProcesses.Started started = BackendProcesses.startOrAdopt(launch).get();
    try {
      assertFalse(started.adopted());
      assertTrue(orphan.isEmpty(), "the orphaned group was stopped before the new start");
      PgidFile now = PgidFile.read(PgidFile.path(nodeDir, "llm")).orElseThrow();
      assertEquals(started.backend().pgid(), now.pgid(), "the record names the new group");
    } finally {
      started.backend().terminate(GRACE).get();
    }
  }

  @Test
  void aRecordedGroupWithoutOurTokenIsLeftAlone() throws Exception {
    ProcessGroup stranger = startGroup("exec sleep 303", "someone-else");
    try {
      new PgidFile(stranger.pgid(), "token-2", "vllm serve x").write(PgidFile.path(nodeDir, "llm"));
      var launch = new BackendProcess.Launch("llm", "exec sleep 304", 1, GRACE, nodeDir, 0, null);
      BackendProcesses.Started started = BackendProcesses.startOrAdopt(launch).get();
      started.backend().terminate(GRACE).get();
      assertEquals(1, stranger.members().size(), "a group that is not ours keeps running");
    } finally {
      stranger.terminate(GRACE);
    }
  }

  private static ProcessGroup startGroup(String command, String token) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("setsid", "/bin/sh", "-c", command)
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put(PgidFile.TOKEN_ENV, token);
    ProcessGroup group = new ProcessGroup(pb.start().pid());
    eventually("the group to run", Duration.ofSeconds(5), () -> assertFalse(group.members().isEmpty()));
    return group;
  }

  @Test
  void aMissingOrGarbledRecordIsNoRecord() throws Exception {
    Path file = PgidFile.path(nodeDir, "llm");
    assertTrue(PgidFile.read(file).isEmpty());
    Files.writeString(file, "pgid=abc\ntoken=x\n");
    assertTrue(PgidFile.read(file).isEmpty());
    new PgidFile(1234, "t", "vllm serve 'a b'").write(file);
    assertEquals(List.of(new PgidFile(1234, "t", "vllm serve 'a b'")), List.of(PgidFile.read(file).orElseThrow()));
  }
}
