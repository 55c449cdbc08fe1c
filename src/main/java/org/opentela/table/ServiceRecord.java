package org.opentela.table;

import org.opentela.platform.Hardware;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import org.opentela.CborSerializable;

/**
 * A service a node offers: {@code name} (e.g. {@code llm}), where it listens on that node, its identity
 * groups (e.g. {@code model=Qwen/Qwen3-8B}) and its state. Only a {@code connected} service is routable.
 *
 * <p>{@code port} is a string, as in the original's JSON. {@code restarts}, {@code lastExitCode} and
 * {@code load} are otela's additions.
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
    @JsonInclude(JsonInclude.Include.ALWAYS) Load load) implements CborSerializable {

  public static final String CONNECTED = "connected";
  public static final String UNHEALTHY = "unhealthy";

  public ServiceRecord {
    identityGroup = identityGroup == null ? List.of() : List.copyOf(identityGroup);
    hardware = hardware == null ? Hardware.UNKNOWN : hardware;
  }

  public boolean routable() {
    return CONNECTED.equals(status);
  }

  public ServiceRecord withLoad(Load newLoad) {
    return new ServiceRecord(name, hardware, status, host, port, identityGroup, restarts, lastExitCode, newLoad);
  }
}
