package org.opentela.table;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import org.opentela.CborSerializable;
import org.opentela.platform.Hardware;

/**
 * A service a node offers: {@code name} (e.g. {@code llm}), where it listens on that node, its identity
 * groups (e.g. {@code model=Qwen/Qwen3-8B}) and its state. Only a {@code connected} service is routable.
 *
 * <p>{@code port} is a string, as in the original's JSON. {@code restarts}, {@code lastExitCode},
 * {@code load} and {@code lastError} are otela's additions. A service that cannot serve is in the table
 * too, with a status that says so ({@link #STARTING}, {@link #CRASHED}, {@link #FAILED}) and
 * {@code lastError} saying why in words, so that the head shows why a node serves nothing.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ServiceRecord(
    String name,
    Hardware hardware,
    String status,
    String host,
    String port,
    List<String> identityGroup,
    int restarts,
    @JsonInclude(JsonInclude.Include.ALWAYS) Integer lastExitCode,
    @JsonInclude(JsonInclude.Include.ALWAYS) Load load,
    @JsonInclude(JsonInclude.Include.ALWAYS) String lastError) implements CborSerializable {

  public static final String CONNECTED = "connected";
  public static final String UNHEALTHY = "unhealthy";
  /** Started, not answering yet, with a problem worth showing (e.g. it listens on another port). */
  public static final String STARTING = "starting";
  /** Exited; it will be restarted. */
  public static final String CRASHED = "crashed";
  /** Will not be started again by itself: fix what {@code lastError} says and restart the node. */
  public static final String FAILED = "failed";

  public ServiceRecord {
    identityGroup = identityGroup == null ? List.of() : List.copyOf(identityGroup);
    hardware = hardware == null ? Hardware.UNKNOWN : hardware;
  }

  public boolean routable() {
    return CONNECTED.equals(status);
  }

  public ServiceRecord withLoad(Load newLoad) {
    return toBuilder().load(newLoad).build();
  }

  /** A {@link #CONNECTED} service {@code name} on localhost with no port, groups, restarts or load yet. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  public Builder toBuilder() {
    return new Builder(name).hardware(hardware).status(status).host(host).port(port).identityGroup(identityGroup)
        .restarts(restarts).lastExitCode(lastExitCode).load(load).lastError(lastError);
  }

  /** Builds a {@link ServiceRecord}. */
  public static final class Builder {
    private final String name;
    private Hardware hardware = Hardware.UNKNOWN;
    private String status = CONNECTED;
    private String host = "localhost";
    private String port = "";
    private List<String> identityGroup = List.of();
    private int restarts;
    private Integer lastExitCode;
    private Load load;
    private String lastError;

    private Builder(String name) {
      this.name = name;
    }

    public Builder hardware(Hardware hardware) {
      this.hardware = hardware;
      return this;
    }

    /** {@link #CONNECTED} (routable) or {@link #UNHEALTHY}. */
    public Builder status(String status) {
      this.status = status;
      return this;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      return port(Integer.toString(port));
    }

    public Builder port(String port) {
      this.port = port;
      return this;
    }

    public Builder identityGroup(List<String> identityGroup) {
      this.identityGroup = identityGroup;
      return this;
    }

    public Builder identityGroup(String... groups) {
      return identityGroup(List.of(groups));
    }

    public Builder restarts(int restarts) {
      this.restarts = restarts;
      return this;
    }

    /** The exit code of the backend's last run; null if it never exited. */
    public Builder lastExitCode(Integer lastExitCode) {
      this.lastExitCode = lastExitCode;
      return this;
    }

    public Builder load(Load load) {
      this.load = load;
      return this;
    }

    /** Why the service does not serve, in words; null when nothing is wrong. */
    public Builder lastError(String lastError) {
      this.lastError = lastError;
      return this;
    }

    public ServiceRecord build() {
      return new ServiceRecord(name, hardware, status, host, port, identityGroup, restarts, lastExitCode, load,
          lastError);
    }
  }
}
