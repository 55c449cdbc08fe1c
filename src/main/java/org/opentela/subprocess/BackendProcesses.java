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
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.opentela.SecretMask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend processes of this JVM, by node directory and service name. They belong to the JVM, not to
 * an actor system: a node that restarts its actor system (after being downed by a partition) finds its
 * backend here and adopts it, instead of starting a second one and waiting minutes for the model to load
 * again. Only a real stop of the node ends a backend (see {@link BackendShutdown}).
 *
 * <p>This registry is the one piece of JVM-wide mutable state in otela, for that reason. The starts and
 * stops of one service run one after the other, in the order they were asked for; those of different
 * services run independently. No lock is held while a process starts or stops: each service has a queue
 * of operations (a chain of futures), and only appending to it is synchronized.
 *
 * <p>Blocking work (starting, signalling, waiting for a group to exit) runs on this class's own daemon
 * threads, which outlive any actor system.
 */
public final class BackendProcesses {
  private static final Logger log = LoggerFactory.getLogger(BackendProcesses.class);
  /** The registry: one slot per node directory and service name, so two nodes in one JVM never share one. */
  private static final Map<Key, Slot> SLOTS = new ConcurrentHashMap<>();
  static final ExecutorService IO = Executors.newCachedThreadPool(daemonThreads("otela-backend-io-"));

  /** A backend ready for the supervisor; {@code adopted} when it was already running in this JVM. */
  record Started(BackendProcess backend, boolean adopted) {}

  private record Key(Path nodeDir, String name) {
    static Key of(Path nodeDir, String name) {
      return new Key(nodeDir.toAbsolutePath().normalize(), name);
    }
  }

  /** One service's backend, and the queue that orders its starts and stops. */
  private static final class Slot {
    private volatile BackendProcess backend;
    /** The last operation queued; the next one starts when it has ended, however it ended. */
    private CompletableFuture<?> last = CompletableFuture.completedFuture(null);

    /** Queues {@code operation}; returns its result. The monitor is held only to append to the queue. */
    synchronized <T> CompletableFuture<T> then(Supplier<CompletableFuture<T>> operation) {
      CompletableFuture<T> next = last.handle((v, err) -> null).thenComposeAsync(v -> operation.get(), IO);
      last = next;
      return next;
    }

    /** Forgets {@code ended} unless a newer backend has taken its place. */
    synchronized void ended(BackendProcess ended) {
      if (backend == ended) {
        backend = null;
      }
    }
  }

  private BackendProcesses() {}

  private static Slot slot(Path nodeDir, String name) {
    return SLOTS.computeIfAbsent(Key.of(nodeDir, name), k -> new Slot());
  }

  /**
   * The backend of {@code launch.name()}: the one already running in this JVM if it runs the same command
   * on the same port; otherwise a new one, after stopping a different one of that name and any backend
   * that an earlier run of this node left behind (recorded in the node directory).
   */
  static CompletableFuture<Started> startOrAdopt(BackendProcess.Launch launch) {
    Slot slot = slot(launch.nodeDir(), launch.name());
    return slot.then(() -> startOrAdopt(slot, launch));
  }

  /** Runs queued in the service's slot, on an IO thread. */
  private static CompletableFuture<Started> startOrAdopt(Slot slot, BackendProcess.Launch launch) {
    BackendProcess existing = slot.backend;
    if (existing == null) {
      return CompletableFuture.completedFuture(start(slot, launch));
    }
    boolean same = existing.launch().command().equals(launch.command()) && existing.launch().port() == launch.port();
    if (same && existing.isAlive() && !existing.terminating()) {
      log.info("Adopting {}, still running from before this node restarted: {}", existing,
          SecretMask.of(launch.command()));
      return CompletableFuture.completedFuture(new Started(existing, true));
    }
    if (existing.isAlive() && !same) {
      log.info("{} runs another command or port than now configured; stopping it", existing);
    }
    return existing.terminate(launch.stopTimeout()).thenApplyAsync(v -> {
      slot.ended(existing);
      return start(slot, launch);
    }, IO);
  }

  /** Blocking: stops an orphan of an earlier run, then starts the backend. */
  private static Started start(Slot slot, BackendProcess.Launch launch) {
    try {
      reapOrphan(launch);
      BackendProcess started = BackendProcess.start(launch, IO);
      slot.backend = started;
      started.exited()
          .thenCompose(code -> started.terminate(launch.stopTimeout()))
          .thenRun(() -> slot.ended(started));
      return new Started(started, false);
    } catch (IOException e) {
      throw new CompletionException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException(e);
    }
  }

  /**
   * Stops the backend of service {@code name} of the node in {@code nodeDir} (its whole group) if one runs,
   * after the starts and stops asked for before; completes when it is gone.
   */
  public static CompletableFuture<Void> stop(Path nodeDir, String name, Duration grace) {
    Slot slot = slot(nodeDir, name);
    return slot.then(() -> {
      BackendProcess b = slot.backend;
      return b == null ? CompletableFuture.completedFuture(null) : b.terminate(grace);
    });
  }

  /** True if this JVM runs a backend for service {@code name} of the node in {@code nodeDir}. */
  public static boolean isRunning(Path nodeDir, String name) {
    return find(nodeDir, name).map(BackendProcess::isAlive).orElse(false);
  }

  static Optional<BackendProcess> find(Path nodeDir, String name) {
    Slot slot = SLOTS.get(Key.of(nodeDir, name));
    return Optional.ofNullable(slot == null ? null : slot.backend);
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
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
          + " stopping it before starting a new one", launch.name(), group.pgid(),
          SecretMask.of(recorded.get().command()));
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
