package org.opentela.subprocess;

import java.util.List;
import org.opentela.table.Load;
import org.opentela.table.ServiceRecord;

/**
 * What the table says about a supervised service besides its status: identity groups, restarts, last
 * exit code and load. Owned by one {@link SubprocessSupervisor}; not thread-safe.
 */
final class ServiceStatus {
  private final ServiceSettings settings;
  private List<String> identityGroups = List.of();
  private int restarts;
  private Integer lastExitCode;
  private Load load;
  private String lastError;

  ServiceStatus(ServiceSettings settings) {
    this.settings = settings;
  }

  /** The service's table record with {@code status} (one of {@link ServiceRecord}'s). */
  ServiceRecord record(String status) {
    return ServiceRecord.builder(settings.name()).status(status).port(settings.port()).identityGroup(identityGroups)
        .restarts(restarts).lastExitCode(lastExitCode).load(load).lastError(lastError).build();
  }

  /** Why the service does not serve; null once it serves again. */
  void lastError(String why) {
    lastError = why;
  }

  int restarts() {
    return restarts;
  }

  Integer lastExitCode() {
    return lastExitCode;
  }

  /** The service answers with these groups: whatever went wrong before is over. */
  void identityGroups(List<String> groups) {
    identityGroups = List.copyOf(groups);
    lastError = null;
  }

  /** Carries over the history of a backend started by an earlier supervisor. */
  void adopted(int previousRestarts, Integer previousExitCode) {
    restarts = previousRestarts;
    lastExitCode = previousExitCode;
  }

  /** The process exited with {@code code} and will be restarted. */
  void exited(int code) {
    restarts++;
    lastExitCode = code;
  }

  /** The latest load sample; null when unknown (and after the service left the table). */
  void load(Load sample) {
    load = sample;
  }
}
