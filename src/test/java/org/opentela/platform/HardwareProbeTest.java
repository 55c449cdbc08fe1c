package org.opentela.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentela.Json;
import org.opentela.platform.Gpu;
import org.opentela.platform.Hardware;

class HardwareProbeTest {

  @Test
  void parsesNvidiaSmiCsvAndSkipsRowsWithoutNumbers() {
    List<Gpu> gpus = HardwareProbe.parseNvidiaSmi(
        "NVIDIA GeForce RTX 3090, 24576, 950\nNVIDIA A100-SXM4-80GB, 81920, 0\nGRID vGPU, [N/A], [N/A]\n\n");
    assertEquals(List.of(new Gpu("NVIDIA GeForce RTX 3090", 24576, 950), new Gpu("NVIDIA A100-SXM4-80GB", 81920, 0)),
        gpus);
  }

  @Test
  void hardwareIsWrittenWithTheTutorialsFieldNames() throws Exception {
    Hardware hw = new Hardware(List.of(new Gpu("NVIDIA GeForce RTX 3090", 24576, 950)), 64000, 0, 12000);
    JsonNode json = Json.MAPPER.readTree(Json.MAPPER.writeValueAsBytes(hw));
    assertEquals(Json.MAPPER.readTree("{\"gpus\":[{\"name\":\"NVIDIA GeForce RTX 3090\",\"total_memory\":24576,"
        + "\"used_memory\":950}],\"host_memory\":64000,\"host_memory_bandwidth\":0,\"host_memory_used\":12000}"), json);
  }
}
