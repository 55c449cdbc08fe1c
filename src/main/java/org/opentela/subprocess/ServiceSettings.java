package org.opentela.subprocess;

import static java.util.Objects.requireNonNull;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.opentela.config.ConfigReader;
import org.opentela.config.UsageException;

/**
 * The local service of a node ({@code --subprocess}, {@code --service.*}), read once from config and
 * validated: a node has a service when {@code --service.name} and {@code --service.port} are given, and
 * otela manages its process when {@code --subprocess} is given too.
 *
 * @param command         the {@code --subprocess} command line; empty when the service runs on its own
 * @param identityGroups  extra identity groups ({@code --service.identity_group})
 * @param apiKey          the backend's own secret ({@code --service.api_key}), sent on every call to it; "" = none
 */
public record ServiceSettings(
    String name,
    int port,
    String command,
    List<String> identityGroups,
    String healthPath,
    Duration healthInterval,
    int healthFailures,
    Duration readyInterval,
    Duration startTimeout,
    Duration probeTimeout,
    Duration loadInterval,
    Duration stopTimeout,
    Duration restartBackoff,
    Duration restartBackoffMax,
    Duration restartBackoffReset,
    String apiKey) {

  /** The service name whose identity groups come from the backend's {@code /v1/models}. */
  public static final String LLM = "llm";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  public ServiceSettings {
    requireNonNull(name, "name");
    requireNonNull(command, "command");
    requireNonNull(apiKey, "apiKey");
    identityGroups = List.copyOf(identityGroups);
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("name: '" + name + "' (expected: letters, digits, '.', '_', '-')");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
    }
    if (healthFailures < 1) {
      throw new IllegalArgumentException("healthFailures: " + healthFailures + " (expected: >= 1)");
    }
    if (restartBackoffMax.compareTo(restartBackoff) < 0) {
      throw new IllegalArgumentException("restartBackoffMax: " + restartBackoffMax + " (expected: >= "
          + restartBackoff + ")");
    }
  }

  /**
   * The node's service, or empty when none is configured. Every mistake is a {@link UsageException} that
   * names the flag (exit code 2).
   */
  public static Optional<ServiceSettings> fromConfig(Config config) {
    ConfigReader r = new ConfigReader(config);
    String command = r.string("otela.subprocess");
    String name = r.string("otela.service.name");
    int port = r.port("otela.service.port");
    List<String> groups = r.list("otela.service.identity_group");
    if (command.isEmpty() && name.isEmpty() && port == 0) {
      if (!groups.isEmpty()) {
        throw new UsageException("--service.identity_group: given without a service (expected: also"
            + " --service.name and --service.port)");
      }
      return Optional.empty();
    }
    String what = command.isEmpty() ? "a local service" : "--subprocess";
    if (name.isEmpty()) {
      throw new UsageException("--service.name: missing (expected with " + what
          + ": the name clients use, e.g. --service.name llm)");
    }
    if (!NAME.matcher(name).matches()) {
      throw UsageException.badValue("otela.service.name", name, "letters, digits, '.', '_' or '-', e.g. llm");
    }
    if (port == 0) {
      throw new UsageException("--service.port: missing (expected with " + what
          + ": the port the service listens on at localhost, e.g. --service.port 8080)");
    }
    String healthPath = r.string("otela.service.health_path");
    if (!healthPath.startsWith("/")) {
      throw UsageException.badValue("otela.service.health_path", healthPath, "a path starting with /, e.g. /health");
    }
    if (!command.isEmpty() && BackendProcess.setsid().isEmpty()) {
      throw new UsageException("--subprocess: needs the 'setsid' command (util-linux) to run the backend in its"
          + " own process group, and none is on the PATH (expected: install util-linux, or start the backend"
          + " yourself and give only --service.name and --service.port)");
    }
    Duration backoff = r.duration("otela.service.restart_backoff");
    Duration backoffMax = r.duration("otela.service.restart_backoff_max");
    if (backoffMax.compareTo(backoff) < 0) {
      throw UsageException.badValue("otela.service.restart_backoff_max", backoffMax,
          "at least --service.restart_backoff (" + backoff + ")");
    }
    return Optional.of(new ServiceSettings(
        name,
        port,
        command,
        groups,
        healthPath,
        r.duration("otela.service.health_interval"),
        r.intInRange("otela.service.health_failures", 1, 1_000_000),
        r.duration("otela.service.ready_interval"),
        r.duration("otela.service.start_timeout"),
        r.duration("otela.service.probe_timeout"),
        r.duration("otela.service.load_interval"),
        r.duration("otela.service.stop_timeout"),
        backoff,
        backoffMax,
        r.duration("otela.service.restart_backoff_reset"),
        r.string("otela.service.api_key")));
  }

  /** The {@code Authorization} value for calls to the backend, or null when it has no {@code --service.api_key}. */
  public String authorization() {
    return apiKey.isEmpty() ? null : "Bearer " + apiKey;
  }

  @Override
  public String toString() {
    return "ServiceSettings[" + describe() + (managesProcess() ? ", command=" + command : "")
        + (apiKey.isEmpty() ? "" : ", api_key=(set)") + "]";
  }

  /** True when otela starts, restarts and stops the backend's process. */
  public boolean managesProcess() {
    return !command.isEmpty();
  }

  /** {@code llm on :8080}: how the log names this service. */
  String describe() {
    return name + " on :" + port;
  }

  /** What to check when the service did not answer within {@code startTimeout}, and what happens now. */
  String startTimeoutAdvice() {
    String check = managesProcess()
        ? "Check that the command '" + command + "' starts (see its [" + name + "] lines above) and listens on"
            + " port " + port + " (--service.port)"
        : "Check that the service runs and listens on port " + port + " (--service.port)";
    return check + ", and that GET http://localhost:" + port + healthPath + " answers 200 (--service.health_path);"
        + " a slow model may need a longer --service.start_timeout. otela gives up on it"
        + (managesProcess() ? " and stops it" : "") + "; restart otela to try again.";
  }

  /**
   * Time the node's shutdown must allow for stopping this backend: SIGTERM, {@code stopTimeout}, then
   * SIGKILL and the wait for the group to go. The node sets its shutdown phase timeout from this.
   */
  public Duration shutdownTimeout() {
    return stopTimeout.plusSeconds(10);
  }
}
