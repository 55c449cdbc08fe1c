package org.opentela.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.opentela.config.Command;
import org.opentela.config.CommandLine;
import org.opentela.config.Flags;
import org.opentela.config.UsageException;

class SimSettingsTest {

  private static SimSettings fromArgs(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "llm-sim";
    System.arraycopy(args, 0, all, 1, args.length);
    Config config = CommandLine.parse(all).load(new Properties());
    return SimSettings.fromConfig(config);
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    SimSettings s = SimSettings.defaults();
    assertEquals("127.0.0.1", s.host());
    assertEquals(8080, s.port());
    assertEquals(List.of("sim-model"), s.models());
    assertEquals(50, s.ttftMs());
    assertEquals(10, s.itlMs());
    assertEquals(16, s.maxTokens());
    assertEquals(0.0, s.failRate());
    assertEquals(32, s.maxNumSeqs());
    assertEquals(4096, s.maxModelLen());
    assertEquals(65536, s.kvCacheTokens());
    assertEquals(0, s.prefillMsPer1k());
  }

  @Test
  void flagsOfTheIssueMapToSettingsAndRepeatedModelsBecomeAList() {
    SimSettings s = fromArgs("--port", "8181", "--model", "a", "--model", "b,c", "--ttft-ms", "0", "--itl-ms", "3",
        "--max-tokens", "4", "--fail-rate", "0.25", "--max-num-seqs", "8", "--host", "0.0.0.0",
        "--kv-cache-tokens", "0", "--prefill-ms-per-1k", "120");
    assertEquals(8181, s.port());
    assertEquals(List.of("a", "b", "c"), s.models());
    assertEquals(0, s.ttftMs());
    assertEquals(3, s.itlMs());
    assertEquals(4, s.maxTokens());
    assertEquals(0.25, s.failRate());
    assertEquals(8, s.maxNumSeqs());
    assertEquals("0.0.0.0", s.host());
    assertEquals(0, s.kvCacheTokens());
    assertEquals(120, s.prefillMsPer1k());
  }

  @Test
  void badValuesNameTheFlagAndWhatWasExpected() {
    assertEquals("--max-num-seqs: '0' (expected: an integer 1..2147483647)",
        assertThrows(UsageException.class, () -> fromArgs("--max-num-seqs", "0")).getMessage());
    assertEquals("--fail-rate: '1.5' (expected: a number 0.0..1.0)",
        assertThrows(UsageException.class, () -> fromArgs("--fail-rate", "1.5")).getMessage());
    assertEquals("--itl-ms: 'fast' (expected: an integer 0..3600000)",
        assertThrows(UsageException.class, () -> fromArgs("--itl-ms", "fast")).getMessage());
    assertEquals("--model: 'a,a' (expected: distinct model names)",
        assertThrows(UsageException.class, () -> fromArgs("--model", "a", "--model", "a")).getMessage());
    assertEquals("--port: '70000' (expected: an integer 0..65535)",
        assertThrows(UsageException.class, () -> fromArgs("--port", "70000")).getMessage());
    assertEquals("--kv-cache-tokens: '-1' (expected: an integer 0..2147483647)",
        assertThrows(UsageException.class, () -> fromArgs("--kv-cache-tokens", "-1")).getMessage());
  }

  @Test
  void everyFlagIsDocumentedWithItsDefault() {
    List<Flags.Flag> flags = Flags.of(Command.LLM_SIM, ConfigFactory.defaultReferenceUnresolved()).all();
    assertEquals(List.of("fail-rate", "host", "itl-ms", "kv-cache-tokens", "max-model-len", "max-num-seqs",
        "max-tokens", "model", "port", "prefill-ms-per-1k", "ttft-ms"), flags.stream().map(Flags.Flag::name).toList());
    for (Flags.Flag f : flags) {
      assertTrue(f.description().contains("Default:"), f.name() + ": " + f.description());
    }
    assertTrue(Flags.of(Command.LLM_SIM, ConfigFactory.defaultReferenceUnresolved()).find("model").get().isList());
  }

  @Test
  void startFlagsDoNotIncludeTheSimsKeys() {
    Flags start = Flags.of(Command.START, ConfigFactory.defaultReferenceUnresolved());
    assertTrue(start.find("llm-sim.port").isEmpty());
  }

  @Test
  void programmaticSettingsAreValidatedInArmeriaStyle() {
    SimSettings d = SimSettings.defaults();
    assertEquals("maxNumSeqs: 0 (expected: >= 1)",
        assertThrows(IllegalArgumentException.class, () -> d.withMaxNumSeqs(0)).getMessage());
    assertEquals("failRate: -0.1 (expected: 0..1)",
        assertThrows(IllegalArgumentException.class, () -> d.withFailRate(-0.1)).getMessage());
    assertEquals("models: 'x' given twice (expected: distinct model names)",
        assertThrows(IllegalArgumentException.class, () -> d.withModels("x", "x")).getMessage());
    assertEquals(List.of("x"), d.withModels("x").models());
  }
}
