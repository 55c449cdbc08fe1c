package org.opentela.subprocess;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A JVM that starts one backend and then waits to be killed: {@code BackendHost <node dir> <command>}.
 * Prints the backend's process group id. Lets a test SIGKILL the JVM and watch the backend go too.
 */
public final class BackendHost {
  private BackendHost() {}

  public static void main(String[] args) throws Exception {
    var launch = new BackendProcess.Launch("llm", args[1], 1, Duration.ofSeconds(2), Path.of(args[0]), 0, null);
    BackendProcesses.Started started = BackendProcesses.startOrAdopt(launch).get();
    System.out.println("pgid " + started.backend().pgid());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
