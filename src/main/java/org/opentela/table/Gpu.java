package org.opentela.table;

import org.opentela.CborSerializable;

/** One GPU as nvidia-smi reports it; memory in MiB. */
public record Gpu(String name, long totalMemory, long usedMemory) implements CborSerializable {}
