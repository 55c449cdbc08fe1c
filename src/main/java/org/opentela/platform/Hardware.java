package org.opentela.platform;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import org.opentela.CborSerializable;

/**
 * Hardware facts of a node (or of one service). Memory in MiB; bandwidth in MB/s, 0 when unknown.
 * {@code gpus} is null when unknown (a service's own hardware), empty when the node has none.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Hardware(List<Gpu> gpus, long hostMemory, long hostMemoryBandwidth, long hostMemoryUsed)
    implements CborSerializable {

  /** Hardware of a service: not measured separately from the node. */
  public static final Hardware UNKNOWN = new Hardware(null, 0, 0, 0);

  public static final Hardware NONE = new Hardware(List.of(), 0, 0, 0);

  public Hardware {
    gpus = gpus == null ? null : List.copyOf(gpus);
  }

  /**
   * True if {@code other} has the same inventory: the same GPUs (names and memory sizes, in order) and the
   * same host memory size and bandwidth. Memory in use, which changes with every sample, is not compared.
   */
  public boolean sameInventory(Hardware other) {
    return other != null && inventory().equals(other.inventory());
  }

  /** These facts with the memory in use left out (0). */
  private Hardware inventory() {
    return new Hardware(gpus == null ? null : gpus.stream().map(g -> new Gpu(g.name(), g.totalMemory(), 0)).toList(),
        hostMemory, hostMemoryBandwidth, 0);
  }
}
