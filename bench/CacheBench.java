import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.opentela.config.CommandLine;
import org.opentela.sim.LlmSim;
import org.opentela.sim.SimSettings;

/**
 * The cache-aware routing benchmark's two halves, run with the jar on the class path
 * ({@code java -cp otela.jar bench/CacheBench.java ...}) by {@code bench/cache-aware}:
 *
 * <pre>
 * sims PORT,PORT,... [llm-sim flags]
 *     One llm-sim per port in this JVM (each its own engine and prefix cache), until killed.
 * run URL MODEL WORKLOAD USERS WARM_S MEASURE_S SIM_PORTS OUT_PREFIX LABEL [session]
 *     USERS simulated users against URL (a head's chat completions), each a closed loop: send a
 *     streaming request, read it to the end, think (exponential, mean THINK_MS), repeat.
 *       shared: multi-turn chats on one shared system prompt (SYSTEM_CHARS); each conversation has
 *               TURNS turns of TURN_CHARS user text plus the assistant's answers, growing every turn;
 *               "session" also sends X-Session-Id (one per conversation).
 *       unique: one-turn requests, UNIQUE_CHARS of text no other request shares.
 *       little: one-turn requests, a short shared preamble (PREAMBLE_CHARS) before UNIQUE_CHARS of unique
 *               text: little sharing, where affinity must not fight load balance.
 *     Requests sent in the WARM_S seconds after the start are not measured; those sent in the next
 *     MEASURE_S are. Time to first token = request sent to first content chunk. The prefix hit rate is
 *     vLLM's (prompt tokens cached / prompt tokens), from the sims' /metrics over the measured window.
 *     Prints one RESULT line; writes OUT_PREFIX.ttft (one value in ms per measured request).
 * </pre>
 * Sizes come from the environment (defaults in brackets): SYSTEM_CHARS [8000], TURN_CHARS [1200],
 * TURNS [8], UNIQUE_CHARS [6000], PREAMBLE_CHARS [600], THINK_MS [1000].
 */
public class CacheBench {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  static final String[] WORDS = ("the a of to and in is it that for on with as was at by an be this from or have"
      + " not are but had his they which one you were her all she there would their we him been has when who will"
      + " more no if out so said what up its about into than them can only other new some could time these two may"
      + " then do first any my now such like our over man me even most made after also did many before must"
      + " through back years where much your way well down should because each just those people how too little"
      + " state good very make world still own see men work long get here between both life being under never"
      + " day same another know while last might us great old year off come since against go came right used take"
      + " three cache token block prefix router worker head model prompt session latency batch").split(" ");

  static int env(String name, int def) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? def : Integer.parseInt(v.trim());
  }

  public static void main(String[] args) throws Exception {
    Locale.setDefault(Locale.ROOT);
    switch (args.length == 0 ? "" : args[0]) {
      case "sims" -> sims(args);
      case "run" -> run(args);
      default -> {
        System.err.println("usage: CacheBench sims PORTS [llm-sim flags] | run URL MODEL WORKLOAD USERS WARM_S"
            + " MEASURE_S SIM_PORTS OUT_PREFIX LABEL [session]");
        System.exit(2);
      }
    }
  }

  // ---- sims ----

  static void sims(String[] args) throws Exception {
    List<String> flags = new ArrayList<>(List.of("llm-sim"));
    flags.addAll(Arrays.asList(args).subList(2, args.length));
    SimSettings base = SimSettings.fromConfig(CommandLine.parse(flags.toArray(String[]::new)).load(new Properties()));
    List<LlmSim> sims = new ArrayList<>();
    for (String port : args[1].split(",")) {
      sims.add(LlmSim.start(base.withPort(Integer.parseInt(port))));
    }
    System.out.println("sims up on " + args[1] + ": " + base);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> sims.forEach(LlmSim::close)));
    new CountDownLatch(1).await();
  }

  // ---- run ----

  /** Text of about {@code chars} characters of random words. */
  static String words(Random r, int chars) {
    StringBuilder sb = new StringBuilder(chars + 16);
    while (sb.length() < chars) {
      sb.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
    }
    return sb.toString();
  }

  static final class Stats {
    final List<Double> ttftMs = new ArrayList<>();
    long completedInWindow;
    long errors;

    synchronized void ttft(double ms) {
      ttftMs.add(ms);
    }

    synchronized void completed() {
      completedInWindow++;
    }

    synchronized void error() {
      errors++;
    }
  }

  static void run(String[] args) throws Exception {
    String url = args[1];
    String model = args[2];
    String workload = args[3];
    int users = Integer.parseInt(args[4]);
    long warmNs = Long.parseLong(args[5]) * 1_000_000_000L;
    long measureNs = Long.parseLong(args[6]) * 1_000_000_000L;
    List<String> simPorts = List.of(args[7].split(","));
    String out = args[8];
    String label = args[9];
    boolean session = args.length > 10 && args[10].equals("session");
    int systemChars = env("SYSTEM_CHARS", 8000);
    int turnChars = env("TURN_CHARS", 1200);
    int turns = env("TURNS", 8);
    int uniqueChars = env("UNIQUE_CHARS", 6000);
    int thinkMs = env("THINK_MS", 1000);
    if (!List.of("shared", "unique", "little").contains(workload)) {
      throw new IllegalArgumentException("workload: " + workload + " (expected: shared, unique or little)");
    }
    // The same shared prompts in every phase.
    String system = words(new Random(20261130L), workload.equals("little") ? env("PREAMBLE_CHARS", 600) : systemChars);

    Stats stats = new Stats();
    long start = System.nanoTime();
    long windowStart = start + warmNs;
    long end = windowStart + measureNs;
    AtomicLong conversations = new AtomicLong(ProcessHandle.current().pid() << 20);
    double[] before = new double[2];
    Thread scrape = new Thread(() -> {
      sleepUntil(windowStart);
      double[] m = cacheCounters(simPorts);
      before[0] = m[0];
      before[1] = m[1];
    });
    scrape.start();
    // The engines' queues during the window, sampled every second: how close to saturation the phase ran.
    double[] gauges = new double[3]; // sum of running, sum of waiting, samples
    Thread sampler = new Thread(() -> {
      sleepUntil(windowStart);
      while (System.nanoTime() < end - 500_000_000L) {
        double[] g = gauges(simPorts);
        synchronized (gauges) {
          gauges[0] += g[0];
          gauges[1] += g[1];
          gauges[2]++;
        }
        sleepNs(1_000_000_000L);
      }
    });
    sampler.setDaemon(true);
    sampler.start();

    List<Thread> threads = new ArrayList<>();
    for (int u = 0; u < users; u++) {
      int user = u;
      Thread t = new Thread(() -> {
        Random r = new Random(user * 7919L + System.nanoTime());
        sleepNs((long) (r.nextDouble() * 2e9)); // stagger the start
        // The first conversation starts part-way (1..TURNS turns left), so users are not in lockstep.
        int left = workload.equals("shared") ? 1 + r.nextInt(turns) : 1;
        ArrayNode messages = null;
        String sessionId = null;
        while (System.nanoTime() < end) {
          if (messages == null) {
            messages = JSON.createArrayNode();
            sessionId = "conversation-" + conversations.incrementAndGet();
            if (!workload.equals("unique")) {
              messages.addObject().put("role", "system").put("content", system);
            }
          }
          String text = workload.equals("shared") ? words(r, turnChars) : words(r, uniqueChars);
          messages.addObject().put("role", "user").put("content", text);
          long sent = System.nanoTime();
          String answer = send(url, model, messages, session ? sessionId : null, sent, windowStart, end, stats);
          if (answer == null || --left == 0 || !workload.equals("shared")) {
            messages = null;
            left = turns;
          } else {
            messages.addObject().put("role", "assistant").put("content", answer);
          }
          sleepNs((long) (-Math.log(1 - r.nextDouble()) * thinkMs * 1e6));
        }
      }, "user-" + u);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    sleepUntil(end);
    double[] after = cacheCounters(simPorts);
    scrape.join();
    // Requests still running are not waited for: their time to first token is in (or not measured).
    double hitRate = after[0] - before[0] > 0 ? (after[1] - before[1]) / (after[0] - before[0]) : Double.NaN;
    List<Double> t;
    long completed;
    long errors;
    synchronized (stats) {
      t = new ArrayList<>(stats.ttftMs);
      completed = stats.completedInWindow;
      errors = stats.errors;
    }
    t.sort(null);
    StringBuilder sb = new StringBuilder();
    t.forEach(v -> sb.append(String.format("%.3f%n", v)));
    Files.writeString(Path.of(out + ".ttft"), sb.toString());
    double mean = t.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    double running;
    double waiting;
    synchronized (gauges) {
      running = gauges[2] > 0 ? gauges[0] / gauges[2] : Double.NaN;
      waiting = gauges[2] > 0 ? gauges[1] / gauges[2] : Double.NaN;
    }
    System.out.printf("RESULT label=%s workload=%s users=%d requests=%d rps=%.2f ttft_mean_ms=%.1f ttft_p50_ms=%.1f"
        + " ttft_p99_ms=%.1f hit_rate=%.4f running=%.1f waiting=%.1f errors=%d%n", label, workload, users, t.size(),
        completed / (measureNs / 1e9), mean, pct(t, 0.50), pct(t, 0.99), hitRate, running, waiting, errors);
    System.exit(0);
  }

  /**
   * Sends one streaming chat request and reads it to the end; returns the answer's text, or null on an
   * error. Counts its time to first token if it was sent inside the window, and its completion if it
   * completed inside it.
   */
  static String send(String url, String model, ArrayNode messages, String sessionId, long sent, long windowStart,
      long end, Stats stats) {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", model);
    body.put("stream", true);
    body.putObject("stream_options").put("include_usage", true);
    body.set("messages", messages);
    boolean measured = sent >= windowStart && sent < end;
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(5))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      if (sessionId != null) {
        b.header("X-Session-Id", sessionId);
      }
      HttpResponse<InputStream> resp = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
        if (resp.statusCode() != 200) {
          in.lines().forEach(l -> { });
          if (measured) {
            stats.error();
          }
          return null;
        }
        StringBuilder answer = new StringBuilder();
        boolean first = true;
        String line;
        while ((line = in.readLine()) != null) {
          if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
            continue;
          }
          JsonNode chunk = JSON.readTree(line.substring(6));
          JsonNode choices = chunk.path("choices");
          if (choices.isArray() && choices.size() > 0) {
            String content = choices.get(0).path("delta").path("content").asText("");
            if (!content.isEmpty()) {
              if (first && measured) {
                stats.ttft((System.nanoTime() - sent) / 1e6);
              }
              first = false;
              answer.append(content);
            }
          }
        }
        long done = System.nanoTime();
        if (done >= windowStart && done < end) {
          stats.completed();
        }
        return answer.toString();
      }
    } catch (Exception e) {
      if (measured) {
        stats.error();
      }
      return null;
    }
  }

  /** The sims' vllm:prefix_cache_queries_total and vllm:prefix_cache_hits_total, summed. */
  static double[] cacheCounters(List<String> ports) {
    return summed(ports, "prefix_cache_(queries|hits)_total", "queries", true);
  }

  /** The sims' vllm:num_requests_running and vllm:num_requests_waiting, summed. */
  static double[] gauges(List<String> ports) {
    return summed(ports, "num_requests_(running|waiting)", "running", false);
  }

  /**
   * Two vLLM series {@code vllm:<series>} (a regex whose group names the two), summed over the sims:
   * [0] the one named {@code first}, [1] the other. A sim that does not answer is reported when
   * {@code report}, else skipped (a missed sample).
   */
  private static double[] summed(List<String> ports, String series, String first, boolean report) {
    double[] sum = new double[2];
    Pattern p = Pattern.compile("(?m)^vllm:" + series + "\\{[^}]*} ([0-9.Ee+-]+)$");
    for (String port : ports) {
      try {
        String text = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = p.matcher(text);
        while (m.find()) {
          sum[m.group(1).equals(first) ? 0 : 1] += Double.parseDouble(m.group(2));
        }
      } catch (Exception e) {
        if (report) {
          System.err.println("cannot read the metrics of the sim on port " + port + ": " + e);
        }
      }
    }
    return sum;
  }


  static double pct(List<Double> sorted, double q) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(q * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  static void sleepUntil(long nanoTime) {
    sleepNs(nanoTime - System.nanoTime());
  }

  static void sleepNs(long ns) {
    if (ns <= 0) {
      return;
    }
    try {
      Thread.sleep(ns / 1_000_000, (int) (ns % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
