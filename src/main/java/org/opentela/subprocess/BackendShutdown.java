package org.opentela.subprocess;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a node's coordinated shutdown treats its backend. In phase {@code service-stop}, after the node
 * was marked draining and its requests in flight finished ({@link org.opentela.cluster.Drain}), the
 * supervisor withdraws the service; then, unless the actor system is only being replaced, it stops the
 * backend's process group: SIGTERM, {@code --service.stop_timeout}, SIGKILL.
 *
 * <p>The backend outlives the actor system for two reasons: {@link #NODE_RESTART}, which a node gives
 * when it replaces its actor system in the same JVM, and Pekko's cluster downing (a node downed by a
 * partition restarts its actor system and rejoins). The next supervisor adopts the backend
 * ({@link BackendProcesses}). Every other reason (SIGTERM or Ctrl-C through the JVM shutdown hook,
 * {@code ActorSystem.terminate()}, a fatal start-up error, leaving the cluster) stops it.
 */
public final class BackendShutdown {
  private static final Logger log = LoggerFactory.getLogger(BackendShutdown.class);

  /** Shutdown reason for "this actor system is replaced by a new one in this JVM": backends keep running. */
  public static final CoordinatedShutdown.Reason NODE_RESTART = new NodeRestartReason();

  private BackendShutdown() {}

  /**
   * True if a coordinated shutdown for {@code reason} only replaces this node's cluster member: a fresh
   * actor system follows in this JVM and adopts the backend, which keeps running. The one place that
   * decides it, for the node (which starts the fresh member) and for the backend (which is not stopped).
   */
  public static boolean replacesMember(CoordinatedShutdown.Reason reason) {
    return reason == NODE_RESTART || reason.equals(CoordinatedShutdown.clusterDowningReason());
  }

  /** Adds the task that withdraws the service of {@code supervisor}, and stops it unless {@link #replacesMember}. */
  static void register(ActorSystem<?> system, ActorRef<SubprocessSupervisor.Command> supervisor,
      ServiceSettings settings, Path nodeDir) {
    CoordinatedShutdown cs = CoordinatedShutdown.get(system);
    cs.addTask(CoordinatedShutdown.PhaseServiceStop(), "stop-backend-" + settings.name(), () -> {
      boolean stop = !replacesMember(cs.getShutdownReason().orElse(CoordinatedShutdown.unknownReason()));
      CompletionStage<Done> asked = AskPattern.ask(supervisor,
          replyTo -> new SubprocessSupervisor.Stop(stop, replyTo), settings.shutdownTimeout(), system.scheduler());
      return asked.exceptionallyCompose(err -> {
        // The supervisor is gone (or stuck): the registry still knows the process.
        log.warn("The supervisor of {} did not confirm the stop; stopping its backend directly", settings.name(), err);
        return stop ? BackendProcesses.stop(nodeDir, settings.name(), settings.stopTimeout()).thenApply(v -> Done.getInstance())
            : CompletableFuture.completedFuture(Done.getInstance());
      });
    });
  }

  private static final class NodeRestartReason implements CoordinatedShutdown.Reason {
    @Override
    public String toString() {
      return "NodeRestartReason";
    }
  }
}
