package org.opentela;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker/compose.yaml as {@code docker-compose config} resolves it (issue 13, item 11): no obsolete
 * {@code version:}, an init as PID 1 and a stop grace longer than the drain for every node, the cluster
 * port published on the head, and the commented vLLM worker, once uncommented, built from
 * docker/Dockerfile.vllm with its GPU reservation and {@code ipc: host}.
 */
class DockerFilesTest {
  private static final Path COMPOSE = Path.of("docker/compose.yaml");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  /** --drain.timeout (30 s) plus --service.stop_timeout (10 s), the defaults, and a margin. */
  private static final Duration STOP_NEEDS = Duration.ofSeconds(45);

  /** The file as docker-compose resolves it (anchors merged), read from a copy of the repository layout. */
  private static JsonNode config(String compose, Path dir) throws Exception {
    Assumptions.assumeTrue(onPath("docker-compose"), "docker-compose is not installed (CI installs it: .ci/run)");
    Path docker = Files.createDirectories(dir.resolve("docker"));
    Files.writeString(docker.resolve("compose.yaml"), compose);
    for (String f : new String[] {"Dockerfile", "Dockerfile.vllm"}) {
      Files.copy(Path.of("docker", f), docker.resolve(f));
    }
    Process p = new ProcessBuilder("docker-compose", "-f", docker.resolve("compose.yaml").toString(), "config")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "docker-compose config did not finish");
    assertEquals(0, p.exitValue(), "docker-compose config: " + out);
    return YAML.readTree(out);
  }

  private static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The file with its commented service blocks uncommented: from a line "  # name:" to the last commented
   * line after it, "  # " is taken off ("  # worker-vllm:" becomes "  worker-vllm:").
   */
  private static String uncommented(String compose) {
    List<String> out = new ArrayList<>();
    boolean inBlock = false;
    for (String line : compose.split("\n", -1)) {
      inBlock = line.matches("  # [a-z][a-z0-9-]*:") || inBlock && line.startsWith("  #");
      out.add(inBlock ? "  " + line.substring(Math.min(line.length(), 4)) : line);
    }
    return String.join("\n", out);
  }

  private static Duration duration(String compose) {
    // docker-compose writes "60s" or "1m30s"
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:(\\d+)m)?(?:(\\d+)s)?").matcher(compose);
    assertTrue(m.matches(), compose);
    return Duration.ofMinutes(m.group(1) == null ? 0 : Long.parseLong(m.group(1)))
        .plusSeconds(m.group(2) == null ? 0 : Long.parseLong(m.group(2)));
  }

  @Test
  void everyNodeHasAnInitAndTimeToDrain(@TempDir Path dir) throws Exception {
    String text = Files.readString(COMPOSE);
    assertFalse(text.lines().anyMatch(l -> l.startsWith("version:")), "'version:' is obsolete in the Compose spec");
    JsonNode services = config(text, dir).get("services");
    assertEquals(List.of("head", "worker-a", "worker-b"), names(services));
    services.fields().forEachRemaining(e -> {
      JsonNode s = e.getValue();
      assertTrue(s.path("init").asBoolean(), e.getKey() + " has an init as PID 1");
      Duration grace = duration(s.path("stop_grace_period").asText("10s"));
      assertTrue(grace.compareTo(STOP_NEEDS) >= 0, e.getKey() + ": stop_grace_period " + grace
          + " is shorter than the drain and the backend's stop");
    });
    List<Integer> published = new ArrayList<>();
    services.get("head").get("ports").forEach(p -> published.add(p.get("published").asInt()));
    assertTrue(published.containsAll(List.of(8092, 43905)), "the head publishes its API and cluster port: " + published);
  }

  @Test
  void theCommentedVllmWorkerIsBuiltFromItsDockerfileWithAGpuAndHostIpc(@TempDir Path dir) throws Exception {
    JsonNode vllm = config(uncommented(Files.readString(COMPOSE)), dir).get("services").get("worker-vllm");
    assertTrue(vllm != null, "the vLLM worker is in the file, commented");
    assertEquals("docker/Dockerfile.vllm", vllm.get("build").get("dockerfile").asText());
    assertEquals("host", vllm.get("ipc").asText(), "vLLM needs more shared memory than a container's 64 MB");
    JsonNode device = vllm.get("deploy").get("resources").get("reservations").get("devices").get(0);
    assertEquals("nvidia", device.get("driver").asText());
    assertTrue(device.get("capabilities").toString().contains("gpu"), device.toString());
    assertTrue(vllm.path("init").asBoolean());
    assertTrue(vllm.get("command").toString().contains("vllm serve"), vllm.toString());

    String dockerfile = Files.readString(Path.of("docker/Dockerfile.vllm"));
    assertTrue(dockerfile.contains("\nFROM vllm/vllm-openai:"), "otela on top of the official vLLM image");
    assertTrue(dockerfile.contains("openjdk-17-jre-headless"), "with a Java 17 runtime for otela");
    assertTrue(dockerfile.contains("ENTRYPOINT [\"java\", \"-jar\", \"/app/otela.jar\"]"), dockerfile);
  }

  private static List<String> names(JsonNode services) {
    List<String> out = new ArrayList<>();
    services.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
