package org.opentela.platform;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import org.opentela.CborSerializable;

/** One GPU as nvidia-smi reports it; memory in MiB. In JSON: {@code name, total_memory, used_memory}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Gpu(String name, long totalMemory, long usedMemory) implements CborSerializable {}
