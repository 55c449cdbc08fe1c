package org.opentela.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.opentela.config.CommandLine;
import org.opentela.config.Flags;
import org.opentela.config.UsageException;

class ServiceSettingsTest {

  private static java.util.Optional<ServiceSettings> read(String... args) {
    return ServiceSettings.fromConfig(CommandLine.parse(args).load(new Properties()));
  }

  private static String error(String... args) {
    return assertThrows(UsageException.class, () -> read(args)).getMessage();
  }

  @Test
  void noServiceByDefault() {
    assertTrue(read("start").isEmpty());
  }

  @Test
  void readsTheTutorialsWorkerFlags() {
    ServiceSettings s = read("start", "--subprocess", "vllm serve Qwen/Qwen3-8B --max_model_len 16384 --port 8080",
        "--service.name", "llm", "--service.port", "8080").orElseThrow();
    assertEquals("llm", s.name());
    assertEquals(8080, s.port());
    assertEquals("vllm serve Qwen/Qwen3-8B --max_model_len 16384 --port 8080", s.command());
    assertTrue(s.managesProcess());
    assertEquals("/health", s.healthPath());
    assertEquals(Duration.ofSeconds(5), s.healthInterval());
    assertEquals(3, s.healthFailures());
    assertEquals(Duration.ofMinutes(30), s.startTimeout());
    assertEquals(Duration.ofSeconds(10), s.stopTimeout());
    assertEquals(Duration.ofSeconds(2), s.loadInterval());
    assertEquals(Duration.ofSeconds(1), s.restartBackoff());
    assertEquals(Duration.ofSeconds(60), s.restartBackoffMax());
    assertEquals(Duration.ofMinutes(5), s.restartBackoffReset());
    assertEquals(List.of(), s.identityGroups());
  }

  @Test
  void aServiceWithoutSubprocessIsAlreadyRunning() {
    ServiceSettings s = read("start", "--service.name", "embed", "--service.port", "9000",
        "--service.identity_group", "all,model=e5", "--service.health_path", "/ping").orElseThrow();
    assertFalse(s.managesProcess());
    assertEquals(List.of("all", "model=e5"), s.identityGroups());
    assertEquals("/ping", s.healthPath());
  }

  @Test
  void subprocessNeedsPortAndName() {
    assertEquals("--service.port: missing (expected with --subprocess: the port the service listens on at"
        + " localhost, e.g. --service.port 8080)", error("start", "--subprocess", "x", "--service.name", "llm"));
    assertEquals("--service.name: missing (expected with --subprocess: the name clients use, e.g."
        + " --service.name llm)", error("start", "--subprocess", "x", "--service.port", "8080"));
    assertTrue(error("start", "--service.port", "8080").startsWith("--service.name: missing"));
    assertTrue(error("start", "--service.name", "llm").startsWith("--service.port: missing"));
    assertTrue(error("start", "--service.identity_group", "all").startsWith("--service.identity_group: given"));
  }

  @Test
  void aDurationWithoutAUnitIsRefusedWithTheLikelyMeaning() {
    // HOCON reads a bare number as milliseconds: "600" used to give the backend 0.6 s to load.
    assertEquals("--service.start_timeout: '600' (expected: a duration with a unit, such as 500ms, 10s or 5m;"
        + " did you mean 600s?)", error("--service.name", "llm", "--service.port", "8080",
        "--service.start_timeout", "600"));
    assertEquals("--service.stop_timeout: '2.5' (expected: a duration with a unit, such as 500ms, 10s or 5m;"
        + " did you mean 2.5s?)", error("--service.name", "llm", "--service.port", "8080",
        "--service.stop_timeout", "2.5"));
    assertEquals(Duration.ofMinutes(10), read("--service.name", "llm", "--service.port", "8080",
        "--service.start_timeout", "600s").orElseThrow().startTimeout());
  }

  @Test
  void rejectsBadValuesNamingTheFlag() {
    String[] base = {"start", "--service.name", "llm"};
    assertEquals("--service.port: '70000' (expected: an integer 0..65535)",
        error(concat(base, "--service.port", "70000")));
    assertEquals("--service.port: 'http' (expected: an integer 0..65535)",
        error(concat(base, "--service.port", "http")));
    String[] ok = concat(base, "--service.port", "8080");
    assertEquals("--service.health_failures: '0' (expected: an integer 1..1000000)",
        error(concat(ok, "--service.health_failures", "0")));
    assertEquals("--service.health_interval: '0s' (expected: a positive duration such as 500ms, 10s or 5m)",
        error(concat(ok, "--service.health_interval", "0s")));
    assertEquals("--service.health_path: 'health' (expected: a path starting with /, e.g. /health)",
        error(concat(ok, "--service.health_path", "health")));
    assertEquals("--service.restart_backoff_max: 'PT1S' (expected: at least --service.restart_backoff (PT5S))",
        error(concat(ok, "--service.restart_backoff", "5s", "--service.restart_backoff_max", "1s")));
    assertTrue(error("start", "--service.name", "a/b", "--service.port", "1").startsWith("--service.name: 'a/b'"));
  }

  @Test
  void everyServiceKeyIsADocumentedFlag() {
    Flags flags = CommandLine.parse(new String[] {"start"}).flags();
    for (String name : List.of("subprocess", "service.name", "service.port", "service.identity_group",
        "service.health_path", "service.health_interval", "service.health_failures", "service.ready_interval",
        "service.start_timeout", "service.probe_timeout", "service.load_interval", "service.stop_timeout",
        "service.restart_backoff", "service.restart_backoff_max", "service.restart_backoff_reset")) {
      Flags.Flag f = flags.find(name).orElseThrow(() -> new AssertionError("no flag --" + name));
      assertTrue(f.description().contains("Default"), "--" + name + " documents its default: " + f.description());
    }
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
