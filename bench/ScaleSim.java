import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.opentela.node.Node;
import org.opentela.config.CommandLine;
import org.opentela.node.NodeSettings;

/**
 * Scale simulation for bench/run: N otela nodes in this JVM (a head and N-1 workers, each with its own
 * ports and data dir, built from the real command line as the in-JVM tests do). Run with the jar on the
 * class path: {@code java -cp target/otela.jar bench/ScaleSim.java N IDLE_SECONDS OUT_DIR}.
 *
 * <ol>
 *   <li>Starts the head, then the workers one after another; "last join" is when the last node's start
 *       returned (its actor system runs and it is joining).</li>
 *   <li>Polls every node's /v1/dnt/table until each shows N rows, all connected: the convergence time.</li>
 *   <li>Idle control-plane traffic: the kernel's per-socket byte counters ({@code ss -tinH}) of the nodes'
 *       Artery connections, sampled IDLE_SECONDS apart after a settling pause. Artery TCP sends each
 *       direction over its own connection, so the bytes received at the accepting ends (local port = an
 *       Artery port) are all the bytes the nodes sent; divided by N and the interval: bytes/s sent per
 *       node (each node receives as much on average).</li>
 * </ol>
 * Prints one {@code RESULT key=value ...} line.
 */
public class ScaleSim {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  public static void main(String[] args) throws Exception {
    int n = Integer.parseInt(args[0]);
    int idleSeconds = Integer.parseInt(args[1]);
    Path dir = Path.of(args[2]);
    Files.createDirectories(dir);
    List<Node> nodes = new ArrayList<>();
    List<Integer> httpPorts = new ArrayList<>();
    Set<Integer> arteryPorts = new HashSet<>();
    String headAddr = null;
    long t0 = System.nanoTime();
    try {
      for (int i = 0; i < n; i++) {
        int http = freePort(), tcp = freePort(), mgmt = freePort();
        List<String> a = new ArrayList<>(List.of("start", "--port", "" + http, "--tcpport", "" + tcp,
            "--management.port", "" + mgmt, "--public-addr", "127.0.0.1", "--seed", "" + (1000 + i),
            "--datadir", dir.resolve("data").toString()));
        if (i == 0) {
          a.addAll(List.of("--mode", "standalone"));
        } else {
          a.addAll(List.of("--bootstrap.addr", headAddr));
        }
        Config config = CommandLine.parse(a.toArray(String[]::new)).load(new Properties());
        Node node = Node.create(config, NodeSettings.fromConfig(config)).start();
        nodes.add(node);
        httpPorts.add(http);
        arteryPorts.add(tcp);
        if (i == 0) {
          headAddr = "/ip4/127.0.0.1/tcp/" + tcp + "/p2p/" + node.context().identity().peerId();
          waitFor(() -> rows(http) >= 1, 60_000);
        }
      }
      long lastJoin = System.nanoTime();
      System.err.printf("started %d nodes in %d ms%n", n, (lastJoin - t0) / 1_000_000);
      long converged = -1;
      int worst = 0;
      long deadline = lastJoin + TimeUnit.SECONDS.toNanos(120);
      while (System.nanoTime() < deadline) {
        List<CompletableFuture<Integer>> counts = new ArrayList<>();
        for (int port : httpPorts) {
          counts.add(CompletableFuture.supplyAsync(() -> connectedRows(port)));
        }
        worst = Integer.MAX_VALUE;
        for (CompletableFuture<Integer> c : counts) {
          worst = Math.min(worst, c.join());
        }
        if (worst == n) {
          converged = System.nanoTime();
          break;
        }
        Thread.sleep(100);
      }
      double convergeS = converged < 0 ? -1 : (converged - lastJoin) / 1e9;
      System.err.printf("converged: %s (worst node sees %d/%d connected)%n",
          converged < 0 ? "no, within 120 s" : String.format("%.2f s after the last join", convergeS), worst, n);

      // Idle traffic: let joins, first table writes and handshakes settle, then count.
      Thread.sleep(5_000);
      Map<String, long[]> before = arterySockets(arteryPorts);
      long s0 = System.nanoTime();
      Thread.sleep(idleSeconds * 1000L);
      Map<String, long[]> after = arterySockets(arteryPorts);
      double secs = (System.nanoTime() - s0) / 1e9;
      long bytes = 0;
      for (Map.Entry<String, long[]> e : after.entrySet()) {
        long[] b = before.getOrDefault(e.getKey(), new long[] {0, 0});
        bytes += (e.getValue()[0] - b[0]) + (e.getValue()[1] - b[1]);
      }
      double perNode = bytes / secs / n;
      System.out.printf("RESULT nodes=%d start_all_ms=%d converge_after_last_join_s=%.2f idle_secs=%.1f"
          + " artery_connections=%d idle_bytes_per_s_total=%.0f idle_bytes_per_s_sent_per_node=%.0f%n", n,
          (lastJoin - t0) / 1_000_000, convergeS, secs, after.size(), bytes / secs, perNode);
    } finally {
      List<CompletableFuture<Void>> stops = new ArrayList<>();
      for (Node node : nodes) {
        stops.add(CompletableFuture.runAsync(() -> {
          try {
            node.system().terminate();
            node.system().getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
          } catch (Exception e) {
            // best effort: the JVM exits next
          }
        }));
      }
      CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).get(40, TimeUnit.SECONDS);
      System.exit(0);
    }
  }

  /** Accepting ends of Artery connections: "local peer" → {bytes_received, bytes_sent}. */
  static Map<String, long[]> arterySockets(Set<Integer> ports) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("ss", "-tinH", "state", "established").redirectErrorStream(true).start();
    String[] lines = new String(p.getInputStream().readAllBytes()).split("\n");
    p.waitFor();
    Map<String, long[]> out = new HashMap<>();
    String key = null;
    for (String line : lines) {
      if (!line.startsWith(" ") && !line.startsWith("\t")) {
        String[] f = line.trim().split("\\s+");
        key = null;
        // With a state filter ss omits the State column: Recv-Q Send-Q Local Peer
        if (f.length >= 4) {
          String local = f[2];
          int port = Integer.parseInt(local.substring(local.lastIndexOf(':') + 1));
          if (ports.contains(port)) {
            key = local + " " + f[3];
          }
        }
      } else if (key != null) {
        out.put(key, new long[] {field(line, "bytes_received:"), field(line, "bytes_sent:")});
        key = null;
      }
    }
    return out;
  }

  static long field(String line, String name) {
    int i = line.indexOf(name);
    if (i < 0) {
      return 0;
    }
    int j = i + name.length();
    int k = j;
    while (k < line.length() && Character.isDigit(line.charAt(k))) {
      k++;
    }
    return Long.parseLong(line.substring(j, k));
  }

  static int rows(int port) {
    JsonNode t = table(port);
    return t == null ? -1 : t.size();
  }

  static int connectedRows(int port) {
    JsonNode t = table(port);
    if (t == null) {
      return -1;
    }
    int c = 0;
    for (JsonNode row : t) {
      if (row.path("connected").asBoolean()) {
        c++;
      }
    }
    return c;
  }

  static JsonNode table(int port) {
    try {
      HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/dnt/table"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofByteArray());
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (Exception e) {
      return null;
    }
  }

  static void waitFor(java.util.function.BooleanSupplier cond, long ms) throws InterruptedException {
    long end = System.currentTimeMillis() + ms;
    while (!cond.getAsBoolean()) {
      if (System.currentTimeMillis() > end) {
        throw new IllegalStateException("timed out");
      }
      Thread.sleep(100);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
