package org.opentela.node;

import org.opentela.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.opentela.config.CommandLine;
import org.opentela.config.ConfigReader;
import org.opentela.node.NodeSettings;
import org.opentela.config.UsageException;

/**
 * {@code otela demo}: a head and one worker per model on free ports of this machine, in this JVM, each
 * worker running {@code otela llm-sim} as its supervised backend, exactly as a real worker runs vLLM.
 * Prints how to use it and stops everything (backends included) on Ctrl-C.
 */
final class Demo {
  private Demo() {}

  /** {@code mainClass}: the CLI's entry point, to start this same program again as each worker's backend. */
  static int run(Config config, Class<?> mainClass) throws IOException, InterruptedException {
    ConfigReader r = new ConfigReader(config);
    List<String> models = r.list("otela.demo.models");
    if (models.isEmpty()) {
      throw new UsageException("--models: empty (expected: at least one model name)");
    }
    int wanted = r.port("otela.demo.port");
    int port = wanted != 0 && isFree(wanted) ? wanted : freePort();
    String sim = " --ttft-ms " + r.intInRange("otela.demo.ttft-ms", 0, 600_000)
        + " --itl-ms " + r.intInRange("otela.demo.itl-ms", 0, 600_000)
        + " --max-tokens " + r.intInRange("otela.demo.max-tokens", 1, 100_000);
    Path data = Files.createTempDirectory("otela-demo-");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(data), "otela-demo-cleanup"));

    // A closed pool, as a real one should be: the workers enrol with the head's join token, and the
    // traffic between the nodes runs over mutual TLS.
    Node head = startNode(data, "head", "--mode", "standalone", "--public-addr", "127.0.0.1", "--seed", "0",
        "--port", "" + port, "--pool.secure");
    String token = head.context().trust().poolDir().orElseThrow().token().toString();
    int tcp = head.context().settings().tcpPort();
    String bootstrap = "/ip4/127.0.0.1/tcp/" + tcp + "/p2p/" + head.context().identity().peerId();
    String launcher = javaCommand(mainClass) + " llm-sim";
    for (int i = 0; i < models.size(); i++) {
      int backend = freePort();
      Node worker = startNode(data, "worker-" + (i + 1), "--bootstrap.addr", bootstrap, "--public-addr", "127.0.0.1",
          "--seed", "" + (i + 1), "--port", "" + freePort(),
          "--subprocess", launcher + " --port " + backend + " --model " + quote(models.get(i)) + sim,
          "--service.name", "llm", "--service.port", "" + backend,
          "--join-token", token, "--bootstrap.api-port", "" + port);
      // A worker keeps running (and replaces its member if it is ever downed) until Ctrl-C.
      Thread t = new Thread(worker::awaitExit, "demo-worker-" + (i + 1));
      t.setDaemon(true);
      t.start();
    }
    String base = "http://127.0.0.1:" + port;
    if (!awaitModels(base, models, Duration.ofMinutes(2))) {
      System.out.println("otela demo: the workers did not register their models within 2 minutes; see the log above.");
    }
    System.out.println(banner(base, models));
    return head.awaitExit();
  }

  private static Node startNode(Path data, String name, String... flags) throws IOException {
    List<String> args = new ArrayList<>(List.of("start", "--datadir", data.resolve(name).toString(),
        "--tcpport", "" + freePort(), "--management.port", "" + freePort()));
    args.addAll(List.of(flags));
    Config c = CommandLine.parse(args.toArray(String[]::new)).load(new Properties());
    return Node.create(c, NodeSettings.fromConfig(c)).start();
  }

  /** How to start this same jar again: {@code <java> -jar <this jar>}. */
  private static String javaCommand(Class<?> mainClass) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    try {
      Path jar = Path.of(Demo.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(jar)) {
        return quote(java) + " -Xmx256m -jar " + quote(jar.toString());
      }
    } catch (Exception e) {
      // fall through: running from classes (an IDE, tests)
    }
    return quote(java) + " -Xmx256m -cp " + quote(System.getProperty("java.class.path")) + " " + mainClass.getName();
  }

  /** {@code s} as one word for /bin/sh. */
  static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private static boolean awaitModels(String base, List<String> models, Duration max) throws InterruptedException {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> resp = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/service/llm/v1/models"))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() == 200) {
          List<String> ids = new ArrayList<>();
          for (JsonNode m : Json.MAPPER.readTree(resp.body()).path("data")) {
            ids.add(m.path("id").asText());
          }
          if (ids.containsAll(models)) {
            return true;
          }
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(250);
    }
    return false;
  }

  static String banner(String base, List<String> models) {
    String model = models.get(0);
    String chat = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world!\"}]}";
    String streamChat = chat.substring(0, chat.length() - 1) + ",\"stream\":true}";
    return String.join("\n",
        "",
        "otela demo is running: a head and " + models.size() + " worker(s), each serving one model with the"
            + " simulated backend (llm-sim).",
        "The pool is closed: the workers joined with the head's join token, and traffic between nodes is encrypted.",
        "",
        "  OpenAI base URL:  " + base + "/v1/service/llm/v1",
        "  Node table:       " + base + "/v1/dnt/table",
        "  Models:           " + String.join(", ", models),
        "",
        "Try it:",
        "  curl " + base + "/v1/service/llm/v1/models",
        "  curl " + base + "/v1/service/llm/v1/chat/completions -H 'Content-Type: application/json' \\",
        "       -d '" + chat + "'",
        "  curl -N " + base + "/v1/service/llm/v1/chat/completions -H 'Content-Type: application/json' \\",
        "       -d '" + streamChat + "'",
        "",
        "  python3 - <<'EOF'",
        "  import requests",
        "  response = requests.post(",
        "      \"" + base + "/v1/service/llm/v1/chat/completions\",",
        "      headers={\"Authorization\": \"Bearer test-token\", \"Content-Type\": \"application/json\"},",
        "      json={\"model\": \"" + model + "\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello, world!\"}]},",
        "  )",
        "  print(response.json())",
        "  EOF",
        "",
        "  # or any OpenAI SDK: openai.OpenAI(base_url=\"" + base + "/v1/service/llm/v1\", api_key=\"test-token\")",
        "",
        "Press Ctrl-C to stop everything.",
        "");
  }

  private static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: it is a temporary directory
    }
  }
}
