package org.opentela.subprocess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend processes of this JVM, by service name. They belong to the JVM, not to an actor system:
 * a node that restarts its actor system (after being downed by a partition) finds its backend here and
 * adopts it, instead of starting a second one and waiting minutes for the model to load again. Only a
 * real stop of the node ends a backend (see {@link BackendShutdown}).
 *
 * <p>Blocking work (starting, signalling, waiting for a group to exit) runs on this class's own daemon
 * threads, which outlive any actor system.
 */
public final class BackendProcesses {
  private static final Logger log = LoggerFactory.getLogger(BackendProcesses.class);
  /** By node directory and service name: two nodes in one JVM (a demo) never share a backend. */
  private static final Map<Key, BackendProcess> RUNNING = new ConcurrentHashMap<>();
  private static final AtomicInteger THREADS = new AtomicInteger();
  static final ExecutorService IO = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "otela-backend-io-" + THREADS.incrementAndGet());
    t.setDaemon(true);
    return t;
  });

  /** A backend ready for the supervisor; {@code adopted} when it was already running in this JVM. */
  record Started(BackendProcess backend, boolean adopted) {}

  private record Key(Path nodeDir, String name) {
    static Key of(Path nodeDir, String name) {
      return new Key(nodeDir.toAbsolutePath().normalize(), name);
    }
  }

  private BackendProcesses() {}

  /**
   * The backend of {@code launch.name()}: the one already running in this JVM if it runs the same command
   * on the same port; otherwise a new one, after stopping a different one of that name and any backend
   * that an earlier run of this node left behind (recorded in the node directory).
   */
  static CompletableFuture<Started> startOrAdopt(BackendProcess.Launch launch) {
    return CompletableFuture.supplyAsync(() -> {
      synchronized (BackendProcesses.class) {
        try {
          return startOrAdoptBlocking(launch);
        } catch (IOException e) {
          throw new CompletionException(e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new CompletionException(e);
        }
      }
    }, IO);
  }

  private static Started startOrAdoptBlocking(BackendProcess.Launch launch) throws IOException, InterruptedException {
    Key key = Key.of(launch.nodeDir(), launch.name());
    BackendProcess existing = RUNNING.get(key);
    if (existing != null) {
      boolean same = existing.launch().command().equals(launch.command()) && existing.launch().port() == launch.port();
      if (same && existing.isAlive() && !existing.terminating()) {
        log.info("Adopting {}, still running from before this node restarted: {}", existing,
            launch.command());
        return new Started(existing, true);
      }
      if (existing.isAlive() && !same) {
        log.info("{} runs another command or port than now configured; stopping it", existing);
      }
      existing.terminate(launch.stopTimeout()).join();
      RUNNING.remove(key, existing);
    }
    reapOrphan(launch);
    BackendProcess started = BackendProcess.start(launch, IO);
    RUNNING.put(key, started);
    started.exited()
        .thenCompose(code -> started.terminate(launch.stopTimeout()))
        .thenRun(() -> RUNNING.remove(key, started));
    return new Started(started, false);
  }

  /**
   * Stops the backend of service {@code name} of the node in {@code nodeDir} (its whole group) if one runs;
   * completes when it is gone.
   */
  public static CompletableFuture<Void> stop(Path nodeDir, String name, Duration grace) {
    BackendProcess b = RUNNING.get(Key.of(nodeDir, name));
    return b == null ? CompletableFuture.completedFuture(null) : b.terminate(grace);
  }

  /** True if this JVM runs a backend for service {@code name} of the node in {@code nodeDir}. */
  public static boolean isRunning(Path nodeDir, String name) {
    return find(nodeDir, name).map(BackendProcess::isAlive).orElse(false);
  }

  static Optional<BackendProcess> find(Path nodeDir, String name) {
    return Optional.ofNullable(RUNNING.get(Key.of(nodeDir, name)));
  }

  /**
   * Stops the backend an earlier run of this node recorded, if it still runs: a process in the recorded
   * group that carries the recorded token in its environment is ours; a group without one is left alone
   * (the id now belongs to someone else).
   */
  private static void reapOrphan(BackendProcess.Launch launch) throws InterruptedException {
    Path file = PgidFile.path(launch.nodeDir(), launch.name());
    Optional<PgidFile> recorded;
    try {
      recorded = PgidFile.read(file);
    } catch (IOException e) {
      log.warn("Cannot read {}; a backend left running by an earlier run would not be stopped", file, e);
      return;
    }
    if (recorded.isEmpty()) {
      return;
    }
    ProcessGroup group = new ProcessGroup(recorded.get().pgid());
    if (group.hasMemberWithEnv(PgidFile.TOKEN_ENV, recorded.get().token())) {
      log.warn("{}'s backend from an earlier run of this node is still running (process group {}: {});"
          + " stopping it before starting a new one", launch.name(), group.pgid(), recorded.get().command());
      if (!group.terminate(launch.stopTimeout())) {
        log.error("Process group {} survived SIGKILL; the new {} may find its port in use", group.pgid(),
            launch.name());
      }
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("Cannot delete {}", file, e);
    }
  }
}
