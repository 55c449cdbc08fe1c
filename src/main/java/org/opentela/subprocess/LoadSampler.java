package org.opentela.subprocess;

import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.opentela.table.Load;

/**
 * Samples a registered backend's {@code /metrics} every {@code load_interval} and reports its load to
 * {@code replyTo} when it changed (the sample time aside): the table hears of load changes only. A
 * backend without vLLM's gauges is reported once as "no load" and asked again only every minute.
 * Runs while its service is in the table; its parent stops it when the service is withdrawn.
 */
final class LoadSampler extends AbstractBehavior<LoadSampler.Command> {

  sealed interface Command {}

  /** The backend's load changed; empty when it has none to report. */
  record Changed(Optional<Load> load) {}

  private record Sampled(Optional<Load> load) implements Command {}

  private record SampleFailed(String reason) implements Command {}

  private enum Tick implements Command { SAMPLE }

  /** How long a backend without load gauges is left alone before /metrics is tried again. */
  static final Duration NO_GAUGES_PAUSE = Duration.ofMinutes(1);

  static Behavior<Command> create(ServiceSettings settings, BackendProbe client, ActorRef<Changed> replyTo) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(LoadSampler.class);
      return Behaviors.withTimers(timers -> {
        timers.startTimerWithFixedDelay(Tick.SAMPLE, settings.loadInterval());
        return new LoadSampler(ctx, settings, client, replyTo);
      });
    });
  }

  private final ServiceSettings settings;
  private final BackendProbe client;
  private final ActorRef<Changed> replyTo;
  private boolean sampling;
  private long pausedUntil;
  private boolean toldNoGauges;
  private Load last;

  private LoadSampler(ActorContext<Command> ctx, ServiceSettings settings, BackendProbe client,
      ActorRef<Changed> replyTo) {
    super(ctx);
    this.settings = settings;
    this.client = client;
    this.replyTo = replyTo;
    this.pausedUntil = System.nanoTime();
    sample();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.SAMPLE, this::onSampleTick)
        .onMessage(Sampled.class, this::onSampled)
        .onMessage(SampleFailed.class, this::onSampleFailed)
        .build();
  }

  private Behavior<Command> onSampleTick() {
    if (!sampling && System.nanoTime() - pausedUntil >= 0) {
      sample();
    }
    return this;
  }

  private Behavior<Command> onSampleFailed(SampleFailed m) {
    // The health probe decides about a backend that does not answer; a missed sample is no news.
    sampling = false;
    getContext().getLog().debug("Load sample of {} failed: {}", settings.name(), m.reason());
    return this;
  }

  private void sample() {
    sampling = true;
    getContext().pipeToSelf(client.load(),
        (load, err) -> err == null ? new Sampled(load) : new SampleFailed(BackendProbe.reason(err)));
  }

  private Behavior<Command> onSampled(Sampled m) {
    sampling = false;
    if (m.load().isEmpty()) {
      pausedUntil = System.nanoTime() + NO_GAUGES_PAUSE.toNanos();
      if (!toldNoGauges) {
        toldNoGauges = true;
        getContext().getLog().info("{} serves no vLLM load gauges at /metrics: its load stays unknown (asking"
            + " again every {} s)", settings.describe(), NO_GAUGES_PAUSE.toSeconds());
      }
      if (last != null) {
        last = null;
        replyTo.tell(new Changed(Optional.empty()));
      }
      return this;
    }
    Load load = m.load().get();
    if (last == null || last.running() != load.running() || last.waiting() != load.waiting()
        || last.kvCacheUsage() != load.kvCacheUsage()) {
      replyTo.tell(new Changed(Optional.of(load)));
    }
    last = load;
    return this;
  }
}
