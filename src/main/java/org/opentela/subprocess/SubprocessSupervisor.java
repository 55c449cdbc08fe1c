package org.opentela.subprocess;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.opentela.SecretMask;
import org.opentela.platform.Listeners;
import org.opentela.table.ServiceRecord;
import org.opentela.table.TableKeeper;

/**
 * Keeps one local service in the node table for as long as it works: starts its {@code --subprocess}
 * (or adopts the one this JVM already runs), waits until it answers, registers it with its identity
 * groups, probes its health, samples its load, and restarts it with backoff when it exits.
 *
 * <p>Each phase of a service's life is a behaviour of its own, which handles only what can happen in it:
 * {@link #starting} → {@link #waiting} (probed every {@code ready_interval}, a progress line every 10 s,
 * {@link #gaveUp} after {@code start_timeout}) → {@link #readingModels} (an {@code llm} service's
 * {@code /v1/models} become {@code model=<id>} groups) → {@link #connected} (published, routable) ⇄
 * {@link #unhealthy} (published, not routable, after {@code health_failures} failed probes; models are
 * read again before it is connected again). When the process exits the service is withdrawn at once and
 * the process restarted after a delay ({@link #backingOff}). {@link Stop} (from the node's coordinated
 * shutdown, see {@link BackendShutdown}) withdraws it and stops or keeps the process ({@link #stopped}).
 *
 * <p>The process itself belongs to {@link BackendProcesses}, not to this actor, so that it survives a
 * restart of the actor system. Every HTTP call and process operation is a future piped to this actor,
 * tagged with its {@link Epoch}.
 */
public final class SubprocessSupervisor {

  public sealed interface Command {}

  /** Withdraw the service and stop supervising it; also stop its process group if {@code stopBackend}. */
  public record Stop(boolean stopBackend, ActorRef<Done> replyTo) implements Command {}

  private record BackendStarted(BackendProcesses.Started started) implements Command {}

  private record StartFailed(Throwable cause) implements Command {}

  private record ProcessExited(long epoch, int exitCode) implements Command {}

  /** An answer of the backend to a request made in {@code epoch}. */
  private sealed interface Answer extends Command {
    long epoch();
  }

  private record ProbeSucceeded(long epoch) implements Answer {}

  private record ProbeFailed(long epoch, String reason) implements Answer {}

  private record ModelsRead(long epoch, List<String> models) implements Answer {}

  private record ModelsReadFailed(long epoch, String reason) implements Answer {}

  private record LoadChanged(LoadSampler.Changed changed) implements Command {}

  private record BackendStopped(ActorRef<Done> replyTo) implements Command {}

  private enum Tick implements Command { PROBE, RESTART, PORT }

  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);
  /** How often a --service.port held by another process is checked again. */
  private static final Duration PORT_RECHECK = Duration.ofSeconds(5);
  /** Exits in a row without ever answering, after which the backend is not restarted any more. */
  static final int MAX_FAILED_STARTS = 5;

  /** Supervises {@code settings}' service, publishing it through {@code table}; state files go to {@code nodeDir}. */
  public static Behavior<Command> create(ServiceSettings settings, Path nodeDir, ActorRef<TableKeeper.Command> table) {
    return Behaviors.setup(ctx -> {
      // Name the logger for this class: Pekko would otherwise name it after whatever is on the stack.
      ctx.setLoggerName(SubprocessSupervisor.class);
      BackendShutdown.register(ctx.getSystem(), ctx.getSelf(), settings, nodeDir);
      // A bug in here must not cost the backend: a restarted supervisor adopts the running process.
      return Behaviors.supervise(Behaviors.<Command>setup(inner -> Behaviors.withTimers(timers ->
              new SubprocessSupervisor(inner, timers, settings, nodeDir, table).start())))
          .onFailure(SupervisorStrategy.restart());
    });
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ServiceSettings settings;
  private final Path nodeDir;
  private final RestartPolicy restartPolicy;
  private final SupervisedService<Command> service;
  private final Epoch epoch;
  /** Exits in a row of processes that never answered; 0 once one answers. */
  private int failedStarts;
  /** Whether the current process has answered (been connected) since it started. */
  private boolean answered;
  /** The last "listens on another port" problem published, so it is published once. */
  private String portProblem;

  private SubprocessSupervisor(ActorContext<Command> ctx, TimerScheduler<Command> timers, ServiceSettings settings,
      Path nodeDir, ActorRef<TableKeeper.Command> table) {
    this.ctx = ctx;
    this.timers = timers;
    this.settings = settings;
    this.nodeDir = nodeDir;
    this.restartPolicy = RestartPolicy.of(settings);
    this.service = new SupervisedService<>(ctx, settings, table);
    this.epoch = service.epoch();
  }

  private Behavior<Command> start() {
    if (!settings.managesProcess()) {
      ctx.getLog().info("Registering {}, which runs on its own (no --subprocess)", settings.describe());
      epoch.next();
      return waiting();
    }
    String holder = portTakenBy();
    if (holder != null) {
      return portInUse(holder);
    }
    ctx.pipeToSelf(BackendProcesses.startOrAdopt(service.launch(nodeDir)),
        (started, err) -> err == null ? new BackendStarted(started) : new StartFailed(err));
    return starting();
  }

  /**
   * What holds --service.port before our backend is started, or null if it is free (or held by a backend
   * of this node that will be adopted or stopped). Another server there would answer our probes and have
   * its models registered as this node's.
   */
  private String portTakenBy() {
    if (BackendProcesses.isRunning(nodeDir, settings.name()) || java.nio.file.Files.exists(
        PgidFile.path(nodeDir, settings.name())) || Listeners.canBind("0.0.0.0", settings.port())) {
      return null;
    }
    return Listeners.holderOf(settings.port()).orElse("another process");
  }

  // ---- port in use: another process holds --service.port; nothing is started or registered

  private Behavior<Command> portInUse(String holder) {
    String why = "--service.port " + settings.port() + " is in use by " + holder + ", before " + settings.name()
        + " was started: otela would register that server as this node's backend. Stop it, or start the backend"
        + " on another port and give that port as --service.port";
    ctx.getLog().error("{}. Checking again every {} s.", why, PORT_RECHECK.toSeconds());
    service.problem(ServiceRecord.FAILED, why);
    timers.startTimerWithFixedDelay(Tick.PORT, PORT_RECHECK);
    return Behaviors.receive(Command.class)
        .onMessageEquals(Tick.PORT, this::onPortTick)
        .onMessage(Stop.class, this::onStop)
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private Behavior<Command> onPortTick() {
    if (!Listeners.canBind("0.0.0.0", settings.port())) {
      return Behaviors.same();
    }
    timers.cancel(Tick.PORT);
    ctx.getLog().info("--service.port {} is free now; starting {}", settings.port(), settings.name());
    return start();
  }

  // ---- starting: the process is being started (or adopted)

  private Behavior<Command> starting() {
    return Behaviors.receive(Command.class)
        .onMessage(BackendStarted.class, this::onStarted)
        .onMessage(StartFailed.class, this::onStartFailed)
        .onMessage(Stop.class, this::onStop)
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private Behavior<Command> onStarted(BackendStarted m) {
    service.started(m.started(), ProcessExited::new);
    answered = false;
    portProblem = null;
    return waiting();
  }

  private Behavior<Command> onStartFailed(StartFailed m) {
    Duration delay = restartPolicy.nextDelay(System.nanoTime());
    ctx.getLog().error("Could not start {} with: {} (retrying in {} s). Check the --subprocess command.",
        settings.name(), SecretMask.of(settings.command()), delay.toSeconds(), m.cause());
    return backingOff(delay);
  }

  // ---- waiting: the process runs; is the service answering yet?

  private Behavior<Command> waiting() {
    Readiness readiness = new Readiness(System.nanoTime(), settings.startTimeout(), PROGRESS_EVERY);
    ctx.getLog().info("Waiting for {} to answer GET http://localhost:{}{} (up to {} s)",
        settings.name(), settings.port(), settings.healthPath(), settings.startTimeout().toSeconds());
    timers.startTimerWithFixedDelay(Tick.PROBE, settings.readyInterval());
    probe();
    return running(phase()
        .onMessageEquals(Tick.PROBE, this::onProbeTick)
        .onMessage(ProbeSucceeded.class, m -> onReady(readiness, m))
        .onMessage(ProbeFailed.class, m -> onNotReady(readiness, m)));
  }

  private Behavior<Command> onReady(Readiness readiness, ProbeSucceeded m) {
    ctx.getLog().info("{} answers after {} s; reading what it serves", settings.describe(),
        readiness.waitedSeconds(System.nanoTime()));
    timers.startTimerWithFixedDelay(Tick.PROBE, settings.healthInterval());
    return readModels();
  }

  private Behavior<Command> onNotReady(Readiness readiness, ProbeFailed m) {
    long now = System.nanoTime();
    switch (readiness.failed(now)) {
      case GIVE_UP -> {
        return giveUp(m.reason());
      }
      case REPORT -> {
        ctx.getLog().info("waiting for {} on :{} ({} s)…", settings.name(), settings.port(),
            readiness.waitedSeconds(now));
        checkListeningPorts();
      }
      case WAIT -> { }
    }
    return Behaviors.same();
  }

  /**
   * While the backend does not answer: if its process group listens, but not on --service.port, says on
   * which port it does (a mismatch that would otherwise wait out the whole start timeout in silence).
   */
  private void checkListeningPorts() {
    BackendProcess b = service.backend();
    if (b == null) {
      return;
    }
    java.util.SortedSet<Integer> ports = Listeners.portsOf(new ProcessGroup(b.pgid()).members());
    if (ports.isEmpty() || ports.contains(settings.port())) {
      return;
    }
    String listens = ports.stream().map(p -> ":" + p).collect(java.util.stream.Collectors.joining(", "));
    String why = "your backend listens on " + listens + ", but --service.port is " + settings.port()
        + ": give --service.port " + ports.first() + ", or start the backend on port " + settings.port();
    if (!why.equals(portProblem)) {
      portProblem = why;
      ctx.getLog().warn("{} ({})", why, settings.name());
      service.problem(ServiceRecord.STARTING, why);
    }
  }

  private Behavior<Command> giveUp(String lastReason) {
    timers.cancelAll();
    ctx.getLog().error("{} did not answer within {} s (last: {}). {}", settings.describe(),
        settings.startTimeout().toSeconds(), lastReason, settings.startTimeoutAdvice());
    service.problem(ServiceRecord.FAILED, "did not answer within " + settings.startTimeout().toSeconds() + " s"
        + (portProblem != null ? "; " + portProblem : " (last: " + lastReason + ")"));
    BackendProcess b = service.release();
    if (b != null) {
      epoch.next();
      b.terminate(settings.stopTimeout());
    }
    return gaveUp();
  }

  // ---- reading models: an llm service's /v1/models become its identity groups

  private Behavior<Command> readModels() {
    if (!settings.name().equals(ServiceSettings.LLM)) {
      return connect(settings.identityGroups());
    }
    readModelsNow();
    return readingModels();
  }

  private Behavior<Command> readingModels() {
    return running(phase()
        .onMessageEquals(Tick.PROBE, this::onModelsTick)
        .onMessage(ModelsRead.class, this::onModelsRead)
        .onMessage(ModelsReadFailed.class, this::onModelsReadFailed));
  }

  private void readModelsNow() {
    service.call(service.client()::models, ModelsRead::new, ModelsReadFailed::new);
  }

  private Behavior<Command> onModelsTick() {
    readModelsNow();
    return Behaviors.same();
  }

  private Behavior<Command> onModelsRead(ModelsRead m) {
    if (m.models().isEmpty()) {
      ctx.getLog().warn("{} lists no models at /v1/models; asking again in {} s", settings.describe(),
          settings.healthInterval().toSeconds());
      return Behaviors.same();
    }
    return connect(ModelList.identityGroups(m.models(), settings.identityGroups()));
  }

  private Behavior<Command> onModelsReadFailed(ModelsReadFailed m) {
    ctx.getLog().warn("Cannot read the models of {}: {}; asking again in {} s", settings.describe(),
        m.reason(), settings.healthInterval().toSeconds());
    return Behaviors.same();
  }

  // ---- connected: published and routable, probed every health_interval

  private Behavior<Command> connect(List<String> identityGroups) {
    restartPolicy.healthy(System.nanoTime());
    answered = true;
    failedStarts = 0;
    service.connected(identityGroups, LoadChanged::new);
    ctx.getLog().info("{} is connected and routable, identity groups {}", settings.describe(), identityGroups);
    return connected(0);
  }

  /** Connected, after {@code failures} failed probes in a row. */
  private Behavior<Command> connected(int failures) {
    return running(phase()
        .onMessageEquals(Tick.PROBE, this::onProbeTick)
        .onMessage(ProbeSucceeded.class, m -> onHealthy(failures))
        .onMessage(ProbeFailed.class, m -> onProbeFailed(failures, m))
        .onMessage(LoadChanged.class, this::onLoadChanged));
  }

  private Behavior<Command> onHealthy(int failures) {
    return failures > 0 ? connected(0) : Behaviors.same();
  }

  private Behavior<Command> onProbeFailed(int failures, ProbeFailed m) {
    int failed = failures + 1;
    ctx.getLog().warn("Health probe of {} failed ({} of {} before it is marked unhealthy): {}",
        settings.describe(), failed, settings.healthFailures(), m.reason());
    if (failed < settings.healthFailures()) {
      return connected(failed);
    }
    restartPolicy.unhealthy();
    service.unhealthy();
    ctx.getLog().warn("{} is unhealthy: it stays in the table but gets no requests until it answers again",
        settings.describe());
    return unhealthy();
  }

  private Behavior<Command> onLoadChanged(LoadChanged m) {
    service.load(m.changed().load().orElse(null));
    return Behaviors.same();
  }

  // ---- unhealthy: published, not routable, until a probe succeeds

  private Behavior<Command> unhealthy() {
    return running(phase()
        .onMessageEquals(Tick.PROBE, this::onProbeTick)
        .onMessage(ProbeSucceeded.class, this::onRecovered)
        .onMessage(LoadChanged.class, this::onLoadChanged));
  }

  private Behavior<Command> onRecovered(ProbeSucceeded m) {
    ctx.getLog().info("{} answers again; reading its models before routing to it again", settings.describe());
    return readModels();
  }

  // ---- what every phase with a running process handles alike

  /** The start of a phase with a running process: answers about an earlier process are dropped first. */
  private BehaviorBuilder<Command> phase() {
    return Behaviors.receive(Command.class).onMessage(Answer.class, this::stale, m -> Behaviors.same());
  }

  /** True for an answer about an earlier process; an answer of the current epoch frees the request slot. */
  private boolean stale(Answer m) {
    return !epoch.answers(m.epoch());
  }

  /** {@code phase} plus what any phase with a running process handles alike: its exit, and the node's stop. */
  private Behavior<Command> running(BehaviorBuilder<Command> phase) {
    return phase
        .onMessage(ProcessExited.class, this::onProcessExited)
        .onMessage(Stop.class, this::onStop)
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private Behavior<Command> onProbeTick() {
    probe();
    return Behaviors.same();
  }

  private void probe() {
    service.call(service.client()::probe, (e, ok) -> new ProbeSucceeded(e), ProbeFailed::new);
  }

  private Behavior<Command> onProcessExited(ProcessExited m) {
    if (m.epoch() != epoch.current()) {
      return Behaviors.same();
    }
    BackendProcess exited = service.backend();
    service.exited(m.exitCode());
    String why = ExitCodes.describe(m.exitCode());
    failedStarts = answered ? 0 : failedStarts + 1;
    String fatal = ExitCodes.fatal(m.exitCode(), settings.command());
    if (fatal == null && failedStarts >= MAX_FAILED_STARTS) {
      fatal = "it exited " + failedStarts + " times in a row without ever answering on :" + settings.port()
          + "; check the --subprocess command (its [" + settings.name() + "] lines above)";
    }
    if (fatal != null) {
      epoch.next();
      timers.cancelAll();
      ctx.getLog().error("{} {}: {}. Not restarting it; fix that and restart otela.", exited, why, fatal);
      service.problem(ServiceRecord.FAILED, why + ": " + fatal);
      return gaveUp();
    }
    Duration delay = restartPolicy.nextDelay(System.nanoTime());
    ctx.getLog().warn("{} exited with code {}; withdrew it from the table and restart it in {} ms"
        + " (restart {}; its last output is above)", exited, m.exitCode(), delay.toMillis(), service.restarts());
    service.problem(ServiceRecord.CRASHED, why);
    return backingOff(delay);
  }

  // ---- backing off: the process ended; it is started again after a delay

  private Behavior<Command> backingOff(Duration delay) {
    epoch.next();
    timers.cancel(Tick.PROBE);
    timers.startSingleTimer(Tick.RESTART, delay);
    return Behaviors.receive(Command.class)
        .onMessageEquals(Tick.RESTART, this::onRestart)
        .onMessage(Stop.class, this::onStop)
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private Behavior<Command> onRestart() {
    ctx.getLog().info("Restarting {} (restart {}): {}", settings.name(), service.restarts(),
        SecretMask.of(settings.command()));
    return start();
  }

  // ---- gave up: the backend never answered; the node runs on without it

  private Behavior<Command> gaveUp() {
    return Behaviors.receive(Command.class)
        .onMessage(Stop.class, this::onStop)
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  // ---- stopped: the node stops; nothing is supervised any more

  /**
   * Withdraws the service and, if asked, stops its process through the registry, which does so after a
   * start still in progress: a process being started when the stop comes is stopped once it is there.
   */
  private Behavior<Command> onStop(Stop m) {
    timers.cancelAll();
    epoch.next();
    service.withdraw();
    BackendProcess b = service.backend();
    if (m.stopBackend()) {
      ctx.getLog().info("Stopping {}: SIGTERM to its process group, SIGKILL after {} s",
          b == null ? settings.name() : b, settings.stopTimeout().toSeconds());
      ctx.pipeToSelf(BackendProcesses.stop(nodeDir, settings.name(), settings.stopTimeout()),
          (v, err) -> new BackendStopped(m.replyTo()));
    } else {
      if (b != null) {
        ctx.getLog().info("Leaving {} running for this node's next actor system", b);
      }
      m.replyTo().tell(Done.getInstance());
    }
    return stopped();
  }

  private Behavior<Command> stopped() {
    return Behaviors.receive(Command.class)
        .onMessage(BackendStopped.class, this::onBackendStopped)
        .onMessage(Stop.class, this::onStop)
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private Behavior<Command> onBackendStopped(BackendStopped m) {
    ctx.getLog().info("{} stopped", settings.name());
    m.replyTo().tell(Done.getInstance());
    return Behaviors.same();
  }
}
