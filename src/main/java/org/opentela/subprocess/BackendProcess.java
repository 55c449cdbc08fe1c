package org.opentela.subprocess;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.opentela.SecretMask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One start of a backend command: a process group of its own, its output pumped into the log, a record
 * of it in the node directory, and a watchdog that kills the group when this JVM dies.
 *
 * <p><b>Process group.</b> The command runs as {@code setsid /bin/sh -c SCRIPT}. Java's child is never a
 * process group leader, so {@code setsid} does not fork: the pid Java sees is the new session's and
 * group's id. A group (not the pid) is what we stop, because a backend such as vLLM forks workers, and
 * {@code sh -c "a | b"} is several processes. Being a session of its own also keeps the terminal's Ctrl-C
 * away from the backend, so that on Ctrl-C otela withdraws the service before the backend stops
 * (a {@code set -m} shell would also make a group, but only for background jobs, and its own pid would
 * not be the group's).
 *
 * <p><b>Watchdog.</b> The script starts one tiny shell in the same group that reads the stdin pipe the
 * JVM holds open, and does nothing else. When the JVM dies for any reason, SIGKILL included, the kernel
 * closes the pipe; the watchdog reads end-of-file, sends SIGTERM to its group, waits until the group's
 * leader (the backend) has exited or the stop timeout has passed, and sends SIGKILL to whatever is left. This needs no polling, no pid (which the kernel may reuse), and no {@code prctl}.
 * On an orderly stop the watchdog dies with the group's SIGTERM. The backend itself gets
 * {@code /dev/null} as stdin.
 *
 * <p>Blocking: {@link #start} starts a process and writes a file; call it off the actor threads.
 */
final class BackendProcess {
  private static final Logger log = LoggerFactory.getLogger(BackendProcess.class);
  /** The backend's own output; logged as {@code [<service>] <line>}. */
  private static final Logger output = LoggerFactory.getLogger("org.opentela.backend");
  private static final int MAX_LINE = 8000;

  // $1: the command; $2: seconds between the watchdog's SIGTERM and SIGKILL. Background jobs of a
  // non-interactive shell get /dev/null as stdin, so the JVM's pipe reaches the watchdog as fd 3.
  static final String SCRIPT = String.join("\n",
      "exec 3<&0",
      "( trap 'exit 0' TERM; cat <&3 >/dev/null; trap '' TERM; kill -s TERM 0; i=0;"
          + " while [ $i -lt \"$2\" ] && kill -0 $$; do sleep 1; i=$((i+1)); done; kill -s KILL 0 )"
          + " >/dev/null 2>&1 &",
      "exec /bin/sh -c \"$1\" </dev/null 3<&-");

  /** What to start and how it was started before. */
  record Launch(String name, String command, int port, Duration stopTimeout, Path nodeDir, int restarts,
      Integer lastExitCode) {}

  private final Launch launch;
  private final Process process;
  private final ProcessGroup group;
  private final Path pgidFile;
  private final Executor io;
  private final CompletableFuture<Integer> exited;
  private CompletableFuture<Void> ended;

  private BackendProcess(Launch launch, Process process, Path pgidFile, Executor io) {
    this.launch = launch;
    this.process = process;
    this.group = new ProcessGroup(process.pid());
    this.pgidFile = pgidFile;
    this.io = io;
    this.exited = process.onExit().thenApply(Process::exitValue);
  }

  /** Starts {@code launch.command()}; {@code io} runs the blocking work of stopping it later. */
  static BackendProcess start(Launch launch, Executor io) throws IOException {
    String setsid = setsid().orElseThrow(() -> new IOException("setsid (util-linux) is not on the PATH"));
    String token = UUID.randomUUID().toString();
    long stopSeconds = Math.max(1, (launch.stopTimeout().toMillis() + 999) / 1000);
    ProcessBuilder pb = new ProcessBuilder(setsid, "/bin/sh", "-c", SCRIPT, "otela-" + launch.name(),
        launch.command(), Long.toString(stopSeconds)).redirectErrorStream(true);
    pb.environment().put(PgidFile.TOKEN_ENV, token);
    pb.environment().put("OTELA_SERVICE_NAME", launch.name());
    pb.environment().put("OTELA_SERVICE_PORT", Integer.toString(launch.port()));
    Process p = pb.start();
    Path file = PgidFile.path(launch.nodeDir(), launch.name());
    try {
      new PgidFile(p.pid(), token, launch.command()).write(file);
    } catch (IOException e) {
      log.warn("Cannot record {}'s process group in {}: if this node is killed, the next start cannot stop"
          + " a backend left running", launch.name(), file, e);
    }
    BackendProcess b = new BackendProcess(launch, p, file, io);
    // Whatever the leader leaves behind when it exits (workers, the watchdog) goes with it.
    b.exited.thenRun(() -> b.terminate(launch.stopTimeout()));
    Thread pump = new Thread(b::pumpOutput, "otela-backend-" + launch.name() + "-output");
    pump.setDaemon(true);
    pump.start();
    log.info("Started {} (process group {}): {}", launch.name(), p.pid(), SecretMask.of(launch.command()));
    return b;
  }

  /** The {@code setsid} executable on the PATH. */
  static Optional<String> setsid() {
    String path = System.getenv("PATH");
    for (String dir : (path == null ? "/usr/bin:/bin" : path).split(":")) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "setsid");
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate.toString());
      }
    }
    return Optional.empty();
  }

  Launch launch() {
    return launch;
  }

  long pgid() {
    return group.pgid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Completes with the exit code when the process otela started exits (its group may linger a moment). */
  CompletableFuture<Integer> exited() {
    return exited;
  }

  /**
   * Stops the whole group: SIGTERM, up to {@code grace}, SIGKILL. Completes when every member is gone and
   * the record is deleted. Idempotent: later calls return the first call's future.
   */
  synchronized CompletableFuture<Void> terminate(Duration grace) {
    if (ended == null) {
      ended = CompletableFuture.runAsync(() -> {
        try {
          if (!group.terminate(grace)) {
            log.error("Process group {} of {} survived SIGKILL; members: {}", group.pgid(), launch.name(),
                group.members());
          }
          // The leader is our child: gone only once Java has reaped it.
          process.onExit().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
          log.warn("{} was not reaped in time", this, e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        cleanUp();
      }, io);
    }
    return ended;
  }

  /** True once {@link #terminate} was called (by a stop, or because the process exited). */
  synchronized boolean terminating() {
    return ended != null;
  }

  private void cleanUp() {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // The watchdog reading it is gone with the group; nothing to tell.
    }
    try {
      Optional<PgidFile> recorded = PgidFile.read(pgidFile);
      if (recorded.isPresent() && recorded.get().pgid() == group.pgid()) {
        Files.deleteIfExists(pgidFile);
      }
    } catch (IOException e) {
      log.warn("Cannot delete {}; the next start will check the group it names and find it gone", pgidFile, e);
    }
  }

  private void pumpOutput() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (!line.isBlank()) {
          output.info("[{}] {}", launch.name(), line.length() > MAX_LINE ? line.substring(0, MAX_LINE) + "…" : line);
        }
      }
    } catch (IOException e) {
      log.debug("Output of {} ended", launch.name(), e);
    }
  }

  @Override
  public String toString() {
    return launch.name() + " (process group " + group.pgid() + ")";
  }
}
