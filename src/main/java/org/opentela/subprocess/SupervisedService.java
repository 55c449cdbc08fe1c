package org.opentela.subprocess;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.opentela.table.Load;
import org.opentela.table.ServiceRecord;
import org.opentela.table.TableKeeper;

/**
 * What the phases of a {@link SubprocessSupervisor} act on: the service's process, its row in the table,
 * its load sampler, and the requests to the backend, one at a time and tagged with the {@link Epoch}.
 * The supervisor decides when; this class does it. Owned by one supervisor, used on its thread only.
 */
final class SupervisedService<C> {
  private final ActorContext<C> ctx;
  private final ServiceSettings settings;
  private final ActorRef<TableKeeper.Command> table;
  private final BackendProbe client;
  private final ServiceStatus status;
  private final Epoch epoch = new Epoch();
  /** The process of this service; null when there is none (not started, exited, or not managed). */
  private BackendProcess backend;
  /** Samples the load while the service is in the table; null otherwise. */
  private ActorRef<LoadSampler.Command> sampler;

  SupervisedService(ActorContext<C> ctx, ServiceSettings settings, ActorRef<TableKeeper.Command> table) {
    this.ctx = ctx;
    this.settings = settings;
    this.table = table;
    this.client = new BackendProbe(settings.port(), settings.healthPath(), settings.probeTimeout(),
        settings.authorization());
    this.status = new ServiceStatus(settings);
  }

  Epoch epoch() {
    return epoch;
  }

  BackendProbe client() {
    return client;
  }

  int restarts() {
    return status.restarts();
  }

  /** How to start the process now, with the history the table shows. */
  BackendProcess.Launch launch(Path nodeDir) {
    return new BackendProcess.Launch(settings.name(), settings.command(), settings.port(), settings.stopTimeout(),
        nodeDir, status.restarts(), status.lastExitCode());
  }

  /** The process runs (a new epoch); {@code exited} is told when it exits. */
  void started(BackendProcesses.Started started, BiFunction<Long, Integer, C> exited) {
    backend = started.backend();
    if (started.adopted()) {
      status.adopted(backend.launch().restarts(), backend.launch().lastExitCode());
    }
    long e = epoch.next();
    ctx.pipeToSelf(backend.exited(), (code, err) -> exited.apply(e, code == null ? -1 : code));
  }

  /** The process, or null. */
  BackendProcess backend() {
    return backend;
  }

  /** Forgets the process (it exited, was stopped, or is left running) and returns it, or null. */
  BackendProcess release() {
    BackendProcess b = backend;
    backend = null;
    return b;
  }

  /** The process exited with {@code code}: the service leaves the table, and the next start counts a restart. */
  void exited(int code) {
    withdraw();
    status.exited(code);
    backend = null;
  }

  /**
   * Makes one request to the backend unless one is in flight; the answer comes back tagged with the epoch.
   */
  <T> void call(Supplier<CompletableFuture<T>> request, BiFunction<Long, T, C> answered,
      BiFunction<Long, String, C> failed) {
    if (!epoch.claim()) {
      return;
    }
    long e = epoch.current();
    ctx.pipeToSelf(request.get(),
        (value, err) -> err == null ? answered.apply(e, value) : failed.apply(e, BackendProbe.reason(err)));
  }

  /** Publishes the service as connected with these groups, and samples its load (to {@code loadChanged}). */
  void connected(List<String> identityGroups, Function<LoadSampler.Changed, C> loadChanged) {
    status.identityGroups(identityGroups);
    table.tell(new TableKeeper.PublishService(status.record(ServiceRecord.CONNECTED)));
    if (sampler == null) {
      sampler = ctx.spawnAnonymous(LoadSampler.create(settings, client,
          ctx.messageAdapter(LoadSampler.Changed.class, loadChanged::apply)));
    }
  }

  /** Publishes the service as unhealthy: in the table, not routable. */
  void unhealthy() {
    table.tell(new TableKeeper.PublishService(status.record(ServiceRecord.UNHEALTHY)));
  }

  /**
   * Publishes the service as not serving, with {@code status} (STARTING, CRASHED or FAILED) and why in
   * words: the head's table shows why this node serves nothing. Not routable; no load is sampled.
   */
  void problem(String status, String why) {
    this.status.lastError(why);
    this.status.load(null);
    if (sampler != null) {
      ctx.stop(sampler);
      sampler = null;
    }
    table.tell(new TableKeeper.PublishService(this.status.record(status)));
  }

  void load(Load load) {
    status.load(load);
    table.tell(new TableKeeper.UpdateLoad(settings.name(), load));
  }

  /** Takes the service out of the table and stops sampling its load. */
  void withdraw() {
    table.tell(new TableKeeper.WithdrawService(settings.name()));
    status.load(null);
    if (sampler != null) {
      ctx.stop(sampler);
      sampler = null;
    }
  }
}
