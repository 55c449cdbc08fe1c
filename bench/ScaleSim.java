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
 * Scale simulation for bench/run: N otela nodes (a head and N-1 workers, each with its own ports and data
 * dir, built from the real command line). Run with the jar on the class path:
 * {@code java -cp target/otela.jar bench/ScaleSim.java N IDLE_SECONDS OUT_DIR [--procs | --hosts K]}.
 *
 * <p>Without {@code --procs} all N nodes run in this JVM, as the in-JVM tests do. With {@code --procs}
 * each node is its own JVM ({@code java $SCALE_NODE_OPTS -jar <this jar> start ...}; default options: a
 * small heap, the serial GC and the C1 compiler only, so that 50 JVMs fit on a small machine): 50 actor
 * systems in one JVM on 2 cores never converged (bench/results.md), while 50 processes are 50 members as
 * a real pool runs them, each with its own scheduler, dispatchers and GC.
 *
 * <ol>
 *   <li>Starts the head, then the workers one after another ({@code --procs}: at most two JVMs starting
 *       at a time); "last join" is when the last node's start returned (in-JVM: its actor system runs and
 *       it is joining; {@code --procs}: its HTTP API answers).</li>
 *   <li>Polls every node's /v1/dnt/table until each shows N rows, all connected: the convergence time.</li>
 *   <li>Idle control-plane traffic: the kernel's per-socket byte counters ({@code ss -tinH}) of the nodes'
 *       Artery connections, sampled IDLE_SECONDS apart after a settling pause. Artery TCP sends each
 *       direction over its own connection, so the bytes received at the accepting ends (local port = an
 *       Artery port) are all the bytes the nodes sent; divided by N and the interval: bytes/s sent per
 *       node (each node receives as much on average).</li>
 *   <li>{@code --procs}: idle CPU of each node's JVM over the same interval (utime + stime from
 *       /proc/PID/stat), as % of one core: the head's, and the workers' median and highest.</li>
 * </ol>
 * Prints one {@code RESULT key=value ...} line.
 *
 * <p>With {@code --hosts K} the head is its own JVM (as with {@code --procs}) and the N-1 workers are spread
 * over K further JVMs ("hosts", {@code java $SCALE_HOST_OPTS -cp <jar> ScaleSim.java host}), each running
 * its share of workers as separate actor systems, as the in-JVM tests do. Each worker is still a member
 * with its own ports, scheduler, dispatchers and Artery connections; what its host shares is the JVM:
 * class loading, the JIT and the GC, which are paid once per host instead of once per member. This is how
 * 50 members fit on a 2-core machine: 50 JVMs starting on 2 cores spend minutes compiling, late heartbeats
 * get members downed while others are still starting (bench/results.md). Workers start one at a time, and
 * after every {@code SCALE_BATCH} (default 10) the head's table must show all started nodes connected, and
 * the machine be 30 % idle again (at most 90 s), before the next batch starts, the way an operator rolls
 * nodes into a pool. A worker's idle CPU is its
 * host's CPU divided by the workers on it.
 */
public class ScaleSim {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  public static void main(String[] args) throws Exception {
    if (args[0].equals("host")) {
      host();
      return;
    }
    int n = Integer.parseInt(args[0]);
    int idleSeconds = Integer.parseInt(args[1]);
    Path dir = Path.of(args[2]);
    int hostCount = args.length > 4 && args[3].equals("--hosts") ? Integer.parseInt(args[4]) : 0;
    boolean procs = args.length > 3 && args[3].equals("--procs") || hostCount > 0;
    int batch = Integer.parseInt(System.getenv().getOrDefault("SCALE_BATCH", "10"));
    List<Host> hosts = new ArrayList<>();
    int[] membersOf = new int[n]; // per process: how many nodes it runs
    Files.createDirectories(dir);
    List<Node> nodes = new ArrayList<>();
    List<Process> processes = new ArrayList<>();
    if (procs) {
      // The JVMs of a run just before (bench/run's smaller pool) exit for a while after it ends.
      System.err.printf("machine %.0f %% idle at the start%n", settle(0.5, 90) * 100);
    }
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
        if (hostCount > 0 && i > 0) {
          Host h = hosts.get((i - 1) % hostCount);
          h.start(a);
          membersOf[1 + (i - 1) % hostCount]++;
        } else if (procs) {
          // At most two JVMs starting at once: each start is about a second of CPU on both cores.
          if (i >= 2) {
            int older = httpPorts.get(i - 2);
            waitFor(() -> healthy(older), 120_000);
          }
          processes.add(startProcess(a, dir.resolve("node-" + i + ".log")));
        } else {
          Config config = CommandLine.parse(a.toArray(String[]::new)).load(new Properties());
          nodes.add(Node.create(config, NodeSettings.fromConfig(config)).start());
        }
        httpPorts.add(http);
        arteryPorts.add(tcp);
        if (i == 0) {
          String peerId = procs ? peerIdOf(http) : nodes.get(0).context().identity().peerId();
          headAddr = "/ip4/127.0.0.1/tcp/" + tcp + "/p2p/" + peerId;
          waitFor(() -> rows(http) >= 1, 120_000);
          membersOf[0] = 1;
          for (int k = 0; k < hostCount; k++) {
            Host h = Host.start(dir.resolve("host-" + k + ".log"));
            hosts.add(h);
            processes.add(h.process);
          }
        }
        if (hostCount > 0 && i > 0) {
          waitFor(() -> healthy(http), 120_000);
          int started = i + 1;
          if (started % batch == 0 && started < n) {
            int head = httpPorts.get(0);
            waitFor(() -> connectedRows(head) >= started, 120_000);
            double idle = settle(0.3, 90);
            System.err.printf("batch: %d nodes connected at %d ms (machine %.0f %% idle)%n", started,
                (System.nanoTime() - t0) / 1_000_000, idle * 100);
          }
        }
      }
      if (procs) {
        for (int port : httpPorts) {
          waitFor(() -> healthy(port), 120_000);
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

      // Idle traffic (and CPU): let joins, first table writes, handshakes and the JIT settle, then count.
      Thread.sleep(procs ? 20_000 : 5_000);
      Map<String, long[]> before = arterySockets(arteryPorts);
      long[] cpu0 = cpuTicks(processes);
      long s0 = System.nanoTime();
      Thread.sleep(idleSeconds * 1000L);
      Map<String, long[]> after = arterySockets(arteryPorts);
      long[] cpu1 = cpuTicks(processes);
      double secs = (System.nanoTime() - s0) / 1e9;
      long bytes = 0;
      for (Map.Entry<String, long[]> e : after.entrySet()) {
        long[] b = before.getOrDefault(e.getKey(), new long[] {0, 0});
        bytes += (e.getValue()[0] - b[0]) + (e.getValue()[1] - b[1]);
      }
      double perNode = bytes / secs / n;
      String cpu = "";
      if (procs) {
        // % of one core: ticks are 1/100 s (USER_HZ).
        // With hosts: a process's CPU divided by the nodes it runs, one figure per process.
        int ps = processes.size();
        double[] pct = new double[ps];
        for (int i = 0; i < ps; i++) {
          pct[i] = (cpu1[i] - cpu0[i]) / 100.0 / secs * 100;
        }
        double all = java.util.Arrays.stream(pct).sum();
        double[] workers = new double[ps - 1];
        for (int i = 1; i < ps; i++) {
          workers[i - 1] = pct[i] / (hostCount > 0 ? membersOf[i] : 1);
        }
        java.util.Arrays.sort(workers);
        cpu = String.format(" idle_cpu_pct_head=%.2f idle_cpu_pct_worker_median=%.2f idle_cpu_pct_worker_max=%.2f"
            + " idle_cpu_pct_all_nodes=%.1f", pct[0], workers.length == 0 ? 0 : workers[workers.length / 2],
            workers.length == 0 ? 0 : workers[workers.length - 1], all);
      }
      System.out.printf("RESULT nodes=%d procs=%d start_all_ms=%d converge_after_last_join_s=%.2f idle_secs=%.1f"
          + " hosts=%d artery_connections=%d idle_bytes_per_s_total=%.0f idle_bytes_per_s_sent_per_node=%.0f%s%n", n,
          procs ? processes.size() : 1, (lastJoin - t0) / 1_000_000, convergeS, secs, hostCount, after.size(), bytes / secs, perNode, cpu);
    } catch (Exception e) {
      e.printStackTrace(); // the finally block exits the JVM: say why first
    } finally {
      CompletableFuture<Void> stops = stop(nodes);
      for (Host h : hosts) {
        h.close(); // end of its input: the host terminates its nodes and exits
      }
      for (Process p : processes) {
        p.destroy(); // SIGTERM: the node leaves the cluster
      }
      for (Process p : processes) {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
      stops.get(40, TimeUnit.SECONDS);
      System.exit(0);
    }
  }

  /**
   * Waits until the machine's CPUs were at least {@code share} idle over 3 s (/proc/stat), at most
   * {@code maxSeconds}: the next batch starts when the last one's start-up (JIT, joins, first table
   * writes) is over, not on top of it. Returns the last window's idle share.
   */
  static double settle(double share, int maxSeconds) throws IOException, InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
    double idle;
    do {
      long[] a = cpuTimes();
      Thread.sleep(3000);
      long[] b = cpuTimes();
      idle = (double) (b[1] - a[1]) / Math.max(1, b[0] - a[0]);
    } while (idle < share && System.nanoTime() < end);
    return idle;
  }

  /** {total, idle} jiffies of all CPUs, from the first line of /proc/stat. */
  static long[] cpuTimes() throws IOException {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long total = 0;
    for (int i = 1; i < f.length; i++) {
      total += Long.parseLong(f[i]);
    }
    return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])}; // idle + iowait
  }

  /** Terminates in-JVM nodes, all at once; completes when all have stopped (or given up after 20 s). */
  static CompletableFuture<Void> stop(List<Node> nodes) {
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
    return CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new));
  }

  /**
   * A JVM running several worker nodes: {@code java $SCALE_HOST_OPTS -cp <jar> ScaleSim.java host}. It reads
   * one node's command line per line (arguments separated by tabs) and answers {@code STARTED} once that
   * node's actor system runs; at the end of its input it terminates its nodes and exits.
   */
  static final class Host {
    final Process process;
    final java.io.Writer in;
    final java.io.BufferedReader out;

    Host(Process process) {
      this.process = process;
      this.in = new java.io.OutputStreamWriter(process.getOutputStream(), java.nio.charset.StandardCharsets.UTF_8);
      this.out = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(),
          java.nio.charset.StandardCharsets.UTF_8));
    }

    static Host start(Path logFile) throws IOException {
      List<String> cmd = java("SCALE_HOST_OPTS", "-Xmx1g " + SMALL_JVM);
      // The same options a node's jar manifest gives it (LMDB needs them on Java 17).
      cmd.addAll(List.of("--add-opens", "java.base/java.nio=ALL-UNNAMED", "--add-opens",
          "java.base/sun.nio.ch=ALL-UNNAMED", "-cp", jar(), System.getProperty("jdk.launcher.sourcefile"), "host"));
      Host h = new Host(new ProcessBuilder(cmd).redirectError(logFile.toFile()).start());
      h.expect("READY");
      return h;
    }

    void start(List<String> nodeArgs) throws IOException {
      in.write(String.join("\t", nodeArgs) + "\n");
      in.flush();
      expect("STARTED");
    }

    void expect(String word) throws IOException {
      String line = out.readLine();
      if (line == null || !line.startsWith(word)) {
        throw new IllegalStateException("host answered " + line + ", expected " + word);
      }
    }

    void close() {
      try {
        in.close();
        process.waitFor(40, TimeUnit.SECONDS);
      } catch (IOException | InterruptedException e) {
        // destroyed next
      }
    }
  }

  /** The host side of {@link Host}. */
  static void host() throws Exception {
    java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
        java.nio.charset.StandardCharsets.UTF_8));
    List<Node> nodes = new ArrayList<>();
    // Standard output is the answer channel; the nodes' logs go to standard error (the host's log file).
    java.io.PrintStream answers = System.out;
    System.setOut(System.err);
    answers.println("READY");
    answers.flush();
    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
      Config config = CommandLine.parse(line.split("\t")).load(); // -D options of SCALE_HOST_OPTS apply
      nodes.add(Node.create(config, NodeSettings.fromConfig(config)).start());
      answers.println("STARTED");
      answers.flush();
    }
    stop(nodes).get(40, TimeUnit.SECONDS);
    System.exit(0);
  }

  /** A small heap aside, what a node's or a host's JVM runs with unless the environment says otherwise. */
  static final String SMALL_JVM = "-Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1";

  /** {@code <this java> <the options in $env, or defaults>}. */
  static List<String> java(String env, String defaults) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String o : System.getenv().getOrDefault(env, defaults).trim().split("\\s+")) {
      if (!o.isEmpty()) {
        cmd.add(o);
      }
    }
    return cmd;
  }

  /** The jar this runs from (first on the class path). */
  static String jar() {
    return System.getProperty("java.class.path").split(java.io.File.pathSeparator)[0];
  }

  /** One node as its own JVM: {@code java $SCALE_NODE_OPTS -jar <the jar this runs from> <args>}. */
  static Process startProcess(List<String> args, Path logFile) throws IOException {
    List<String> cmd = java("SCALE_NODE_OPTS", "-Xmx128m " + SMALL_JVM);
    cmd.addAll(List.of("-jar", jar()));
    cmd.addAll(args);
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
  }

  static long[] cpuTicks(List<Process> processes) {
    long[] t = new long[processes.size()];
    for (int i = 0; i < t.length; i++) {
      try {
        String stat = Files.readString(Path.of("/proc/" + processes.get(i).pid() + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        t[i] = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
      } catch (IOException | RuntimeException e) {
        t[i] = 0;
      }
    }
    return t;
  }

  static boolean healthy(int port) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/health"))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (Exception e) {
      return false;
    }
  }

  /** The head's peer id, from its own row of the table. */
  static String peerIdOf(int port) throws InterruptedException {
    waitFor(() -> rows(port) >= 1, 120_000);
    return table(port).elements().next().path("id").asText();
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
