package org.opentela.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentela.platform.Gpu;
import org.opentela.platform.Hardware;

/** How often a node rewrites its record for facts that change on their own, and which facts those are. */
class RefreshBudgetTest {
  private static TableKeeper.Settings settings(Duration refresh, double writesPerSecond) {
    return TableKeeper.Settings.of(refresh, Duration.ofSeconds(30), writesPerSecond);
  }

  @Test
  void theRefreshIntervalHoldsInASmallPoolAndThePoolWideBudgetInALargeOne() {
    TableKeeper.Settings s = settings(Duration.ofSeconds(10), 0.5);
    assertEquals(Duration.ofSeconds(10), s.refreshWriteEvery(0), "no members known yet");
    assertEquals(Duration.ofSeconds(10), s.refreshWriteEvery(2), "the tutorial's head and worker");
    assertEquals(Duration.ofSeconds(10), s.refreshWriteEvery(5));
    assertEquals(Duration.ofSeconds(40), s.refreshWriteEvery(20));
    assertEquals(Duration.ofSeconds(100), s.refreshWriteEvery(50));
    assertEquals(Duration.ofSeconds(1000), s.refreshWriteEvery(500));
  }

  @Test
  void noBudgetMeansEveryRefreshInterval() {
    assertEquals(Duration.ofSeconds(10), settings(Duration.ofSeconds(10), 0).refreshWriteEvery(500));
    assertEquals(Duration.ofMillis(2_500), settings(Duration.ofSeconds(1), 2).refreshWriteEvery(5));
  }

  @Test
  void theInventoryIsTheGpusAndTheMemorySizeNotTheMemoryInUse() {
    Hardware node = new Hardware(List.of(new Gpu("NVIDIA H100", 81_559, 1_000)), 64_000, 20_000, 8_000);
    assertTrue(node.sameInventory(new Hardware(List.of(new Gpu("NVIDIA H100", 81_559, 70_000)), 64_000, 20_000, 9_000)),
        "memory in use moved");
    assertFalse(node.sameInventory(new Hardware(List.of(), 64_000, 20_000, 8_000)), "the GPU is gone");
    assertFalse(node.sameInventory(new Hardware(List.of(new Gpu("NVIDIA A100", 81_559, 1_000)), 64_000, 20_000, 8_000)));
    assertFalse(node.sameInventory(new Hardware(List.of(new Gpu("NVIDIA H100", 40_000, 1_000)), 64_000, 20_000, 8_000)));
    assertFalse(node.sameInventory(new Hardware(node.gpus(), 32_000, 20_000, 8_000)), "host memory size");
    assertFalse(node.sameInventory(new Hardware(node.gpus(), 64_000, 0, 8_000)), "bandwidth");
    assertFalse(node.sameInventory(Hardware.UNKNOWN));
    assertFalse(node.sameInventory(null));
    assertTrue(Hardware.UNKNOWN.sameInventory(new Hardware(null, 0, 0, 5)));
    assertTrue(Hardware.NONE.sameInventory(Hardware.NONE));
  }
}
