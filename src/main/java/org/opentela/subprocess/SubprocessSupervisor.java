package org.opentela.subprocess;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.opentela.table.Load;
import org.opentela.table.ServiceRecord;
import org.opentela.table.TableKeeper;

/**
 * Keeps one local service in the node table for as long as it works: starts its {@code --subprocess}
 * (or adopts the one this JVM already runs), waits until it answers, registers it with its identity
 * groups, probes its health, samples its load, and restarts it with backoff when it exits.
 *
 * <p>Life of a service: <em>starting</em> → <em>waiting</em> (probed every {@code ready_interval}, a
 * progress line every 10 s, given up after {@code start_timeout}) → <em>reading models</em> (an
 * {@code llm} service's {@code /v1/models} become {@code model=<id>} groups) → <em>connected</em>
 * (published, routable) ⇄ <em>unhealthy</em> (published, not routable, after {@code health_failures}
 * failed probes; models are read again before it is connected again). When the process exits the
 * service is withdrawn at once and the process restarted after a backoff delay. {@link Stop} (from the
 * node's coordinated shutdown, see {@link BackendShutdown}) withdraws it and stops or keeps the process.
 *
 * <p>The process itself belongs to {@link BackendProcesses}, not to this actor, so that it survives a
 * restart of the actor system. Every HTTP call and process operation is a future piped to this actor;
 * a result carries the epoch (one per process start) it was made in, and results of an earlier epoch
 * are ignored.
 */
public final class SubprocessSupervisor extends AbstractBehavior<SubprocessSupervisor.Command> {

  public sealed interface Command {}

  /** Withdraw the service and stop supervising it; also stop its process group if {@code stopBackend}. */
  public record Stop(boolean stopBackend, ActorRef<Done> replyTo) implements Command {}

  private record BackendStarted(BackendProcesses.Started started) implements Command {}

  private record StartFailed(Throwable cause) implements Command {}

  private record ProcessExited(long epoch, int exitCode) implements Command {}

  private record ProbeSucceeded(long epoch) implements Command {}

  private record ProbeFailed(long epoch, String reason) implements Command {}

  private record ModelsRead(long epoch, List<String> models) implements Command {}

  private record ModelsReadFailed(long epoch, String reason) implements Command {}

  private record LoadChanged(LoadSampler.Changed changed) implements Command {}

  private record BackendStopped(ActorRef<Done> replyTo) implements Command {}

  private enum Tick implements Command { PROBE, RESTART }

  private enum Phase { STARTING, WAITING, READING_MODELS, CONNECTED, UNHEALTHY, BACKING_OFF, GAVE_UP, STOPPED }

  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);

  /** Supervises {@code settings}' service, publishing it through {@code table}; state files go to {@code nodeDir}. */
  public static Behavior<Command> create(ServiceSettings settings, Path nodeDir, ActorRef<TableKeeper.Command> table) {
    return Behaviors.setup(ctx -> {
      // Name the logger for this class: Pekko would otherwise name it after whatever is on the stack.
      ctx.setLoggerName(SubprocessSupervisor.class);
      BackendShutdown.register(ctx.getSystem(), ctx.getSelf(), settings, nodeDir);
      // A bug in here must not cost the backend: a restarted supervisor adopts the running process.
      return Behaviors.supervise(Behaviors.<Command>setup(inner -> Behaviors.withTimers(timers ->
              new SubprocessSupervisor(inner, timers, settings, nodeDir, table))))
          .onFailure(SupervisorStrategy.restart());
    });
  }

  private final TimerScheduler<Command> timers;
  private final ServiceSettings settings;
  private final Path nodeDir;
  private final ActorRef<TableKeeper.Command> table;
  private final BackendProbe client;
  private final ServiceStatus status;

  private Phase phase = Phase.STARTING;
  /** Incremented whenever the process starts or ends; results of older epochs are stale. */
  private long epoch;
  private BackendProcess backend;
  /** A request to the backend (probe or /v1/models) of the current epoch is in flight. */
  private boolean probing;
  /** Samples the load while the service is in the table; null otherwise. */
  private ActorRef<LoadSampler.Command> sampler;
  private Readiness readiness;
  private int failures;
  private final RestartPolicy restartPolicy;
  private ActorRef<Done> stopReplyTo;

  private SubprocessSupervisor(ActorContext<Command> ctx, TimerScheduler<Command> timers, ServiceSettings settings,
      Path nodeDir, ActorRef<TableKeeper.Command> table) {
    super(ctx);
    this.timers = timers;
    this.settings = settings;
    this.nodeDir = nodeDir;
    this.table = table;
    this.client = new BackendProbe(settings.port(), settings.healthPath(), settings.probeTimeout());
    this.status = new ServiceStatus(settings);
    this.restartPolicy = RestartPolicy.of(settings);
    start();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Stop.class, this::onStop)
        .onMessage(BackendStopped.class, this::onBackendStopped)
        .onMessage(BackendStarted.class, this::onBackendStarted)
        .onMessage(StartFailed.class, this::onStartFailed)
        .onMessage(ProcessExited.class, this::onProcessExited)
        .onMessageEquals(Tick.RESTART, this::onRestart)
        .onMessageEquals(Tick.PROBE, this::onProbeTick)
        .onMessage(ProbeSucceeded.class, this::onProbeSucceeded)
        .onMessage(ProbeFailed.class, this::onProbeFailed)
        .onMessage(ModelsRead.class, this::onModelsRead)
        .onMessage(ModelsReadFailed.class, this::onModelsReadFailed)
        .onMessage(LoadChanged.class, this::onLoadChanged)
        .build();
  }

  private void start() {
    if (!settings.managesProcess()) {
      getContext().getLog().info("Registering {}, which runs on its own (no --subprocess)", settings.describe());
      newEpoch();
      enterWaiting();
      return;
    }
    phase = Phase.STARTING;
    var launch = new BackendProcess.Launch(settings.name(), settings.command(), settings.port(),
        settings.stopTimeout(), nodeDir, status.restarts(), status.lastExitCode());
    getContext().pipeToSelf(BackendProcesses.startOrAdopt(launch),
        (started, err) -> err == null ? new BackendStarted(started) : new StartFailed(err));
  }

  private Behavior<Command> onBackendStarted(BackendStarted m) {
    BackendProcess started = m.started().backend();
    if (phase == Phase.STOPPED) {
      if (stopReplyTo != null) {
        stopBackend(started, stopReplyTo);
      } else {
        backend = started;
      }
      return this;
    }
    backend = started;
    if (m.started().adopted()) {
      status.adopted(started.launch().restarts(), started.launch().lastExitCode());
    }
    long e = newEpoch();
    getContext().pipeToSelf(started.exited(), (code, err) -> new ProcessExited(e, code == null ? -1 : code));
    enterWaiting();
    return this;
  }

  private Behavior<Command> onStartFailed(StartFailed m) {
    if (phase == Phase.STOPPED) {
      return this;
    }
    Duration delay = restartPolicy.nextDelay(System.nanoTime());
    getContext().getLog().error("Could not start {} with: {} (retrying in {} s). Check the --subprocess command.",
        settings.name(), settings.command(), delay.toSeconds(), m.cause());
    backOff(delay);
    return this;
  }

  private Behavior<Command> onProcessExited(ProcessExited m) {
    if (m.epoch() != epoch || phase == Phase.STOPPED || phase == Phase.GAVE_UP) {
      return this;
    }
    withdraw();
    status.exited(m.exitCode());
    Duration delay = restartPolicy.nextDelay(System.nanoTime());
    getContext().getLog().warn("{} exited with code {}; withdrew it from the table and restart it in {} ms"
            + " (restart {}; its last output is above)", backend, m.exitCode(), delay.toMillis(), status.restarts());
    backend = null;
    backOff(delay);
    return this;
  }

  private Behavior<Command> onRestart() {
    if (phase == Phase.BACKING_OFF) {
      getContext().getLog().info("Restarting {} (restart {}): {}", settings.name(), status.restarts(),
          settings.command());
      start();
    }
    return this;
  }

  private void backOff(Duration delay) {
    newEpoch();
    phase = Phase.BACKING_OFF;
    timers.cancel(Tick.PROBE);
    timers.startSingleTimer(Tick.RESTART, delay);
  }

  private void enterWaiting() {
    phase = Phase.WAITING;
    readiness = new Readiness(System.nanoTime(), settings.startTimeout(), PROGRESS_EVERY);
    failures = 0;
    getContext().getLog().info("Waiting for {} to answer GET http://localhost:{}{} (up to {} s)",
        settings.name(), settings.port(), settings.healthPath(), settings.startTimeout().toSeconds());
    timers.startTimerWithFixedDelay(Tick.PROBE, settings.readyInterval());
    probe();
  }

  private Behavior<Command> onProbeTick() {
    switch (phase) {
      case WAITING, CONNECTED, UNHEALTHY -> probe();
      case READING_MODELS -> readModels();
      default -> { }
    }
    return this;
  }

  private void probe() {
    call(client::probe, (e, ok) -> new ProbeSucceeded(e), ProbeFailed::new);
  }

  /** Makes one request to the backend unless one is in flight; the answer comes back tagged with the epoch. */
  private <T> void call(Supplier<CompletableFuture<T>> request, BiFunction<Long, T, Command> answered,
      BiFunction<Long, String, Command> failed) {
    if (probing) {
      return;
    }
    probing = true;
    long e = epoch;
    getContext().pipeToSelf(request.get(),
        (value, err) -> err == null ? answered.apply(e, value) : failed.apply(e, BackendProbe.reason(err)));
  }

  /** True if an answer of {@code answerEpoch} is current; it ends the request in flight. */
  private boolean current(long answerEpoch) {
    if (answerEpoch != epoch) {
      return false;
    }
    probing = false;
    return true;
  }

  private Behavior<Command> onProbeSucceeded(ProbeSucceeded m) {
    if (!current(m.epoch())) {
      return this;
    }
    switch (phase) {
      case WAITING -> {
        getContext().getLog().info("{} answers after {} s; reading what it serves", settings.describe(),
            readiness.waitedSeconds(System.nanoTime()));
        timers.startTimerWithFixedDelay(Tick.PROBE, settings.healthInterval());
        readModels();
      }
      case CONNECTED -> failures = 0;
      case UNHEALTHY -> {
        getContext().getLog().info("{} answers again; reading its models before routing to it again",
            settings.describe());
        readModels();
      }
      default -> { }
    }
    return this;
  }

  private Behavior<Command> onProbeFailed(ProbeFailed m) {
    if (!current(m.epoch())) {
      return this;
    }
    if (phase == Phase.WAITING) {
      long now = System.nanoTime();
      switch (readiness.failed(now)) {
        case GIVE_UP -> giveUp(m.reason());
        case REPORT -> getContext().getLog().info("waiting for {} on :{} ({} s)…", settings.name(), settings.port(),
            readiness.waitedSeconds(now));
        case WAIT -> { }
      }
    } else if (phase == Phase.CONNECTED) {
      failures++;
      getContext().getLog().warn("Health probe of {} failed ({} of {} before it is marked unhealthy): {}",
          settings.describe(), failures, settings.healthFailures(), m.reason());
      if (failures >= settings.healthFailures()) {
        phase = Phase.UNHEALTHY;
        restartPolicy.unhealthy();
        table.tell(new TableKeeper.PublishService(status.record(ServiceRecord.UNHEALTHY)));
        getContext().getLog().warn("{} is unhealthy: it stays in the table but gets no requests until it"
            + " answers again", settings.describe());
      }
    }
    return this;
  }

  private void giveUp(String lastReason) {
    phase = Phase.GAVE_UP;
    timers.cancelAll();
    getContext().getLog().error("{} did not answer within {} s (last: {}). {}", settings.describe(),
        settings.startTimeout().toSeconds(), lastReason, settings.startTimeoutAdvice());
    if (backend != null) {
      newEpoch();
      backend.terminate(settings.stopTimeout());
      backend = null;
    }
  }

  private void readModels() {
    phase = Phase.READING_MODELS;
    if (!settings.name().equals(ServiceSettings.LLM)) {
      connect(settings.identityGroups());
      return;
    }
    call(client::models, ModelsRead::new, ModelsReadFailed::new);
  }

  private Behavior<Command> onModelsRead(ModelsRead m) {
    if (!current(m.epoch()) || phase != Phase.READING_MODELS) {
      return this;
    }
    if (m.models().isEmpty()) {
      getContext().getLog().warn("{} lists no models at /v1/models; asking again in {} s", settings.describe(),
          settings.healthInterval().toSeconds());
      return this;
    }
    connect(ModelList.identityGroups(m.models(), settings.identityGroups()));
    return this;
  }

  private Behavior<Command> onModelsReadFailed(ModelsReadFailed m) {
    if (current(m.epoch())) {
      getContext().getLog().warn("Cannot read the models of {}: {}; asking again in {} s", settings.describe(),
          m.reason(), settings.healthInterval().toSeconds());
    }
    return this;
  }

  private void connect(List<String> identityGroups) {
    phase = Phase.CONNECTED;
    failures = 0;
    restartPolicy.healthy(System.nanoTime());
    status.identityGroups(identityGroups);
    table.tell(new TableKeeper.PublishService(status.record(ServiceRecord.CONNECTED)));
    getContext().getLog().info("{} is connected and routable, identity groups {}", settings.describe(), identityGroups);
    if (sampler == null) {
      sampler = getContext().spawnAnonymous(LoadSampler.create(settings, client,
          getContext().messageAdapter(LoadSampler.Changed.class, LoadChanged::new)));
    }
  }

  private Behavior<Command> onLoadChanged(LoadChanged m) {
    if (phase == Phase.CONNECTED || phase == Phase.UNHEALTHY) {
      Load load = m.changed().load().orElse(null);
      status.load(load);
      table.tell(new TableKeeper.UpdateLoad(settings.name(), load));
    }
    return this;
  }

  private Behavior<Command> onStop(Stop m) {
    boolean starting = phase == Phase.STARTING;
    if (phase != Phase.STOPPED) {
      phase = Phase.STOPPED;
      timers.cancelAll();
      newEpoch();
      withdraw();
    }
    if (!m.stopBackend()) {
      if (backend != null) {
        getContext().getLog().info("Leaving {} running for this node's next actor system", backend);
      }
      m.replyTo().tell(Done.getInstance());
    } else if (backend != null) {
      stopBackend(backend, m.replyTo());
      backend = null;
    } else if (starting) {
      // The process is being started: stop it as soon as it is there.
      stopReplyTo = m.replyTo();
    } else {
      m.replyTo().tell(Done.getInstance());
    }
    return this;
  }

  private void stopBackend(BackendProcess b, ActorRef<Done> replyTo) {
    getContext().getLog().info("Stopping {}: SIGTERM to its process group, SIGKILL after {} s", b,
        settings.stopTimeout().toSeconds());
    getContext().pipeToSelf(b.terminate(settings.stopTimeout()), (v, err) -> new BackendStopped(replyTo));
  }

  private Behavior<Command> onBackendStopped(BackendStopped m) {
    getContext().getLog().info("{} stopped", settings.name());
    m.replyTo().tell(Done.getInstance());
    return this;
  }

  private void withdraw() {
    table.tell(new TableKeeper.WithdrawService(settings.name()));
    status.load(null);
    if (sampler != null) {
      getContext().stop(sampler);
      sampler = null;
    }
  }

  private long newEpoch() {
    probing = false;
    return ++epoch;
  }
}
