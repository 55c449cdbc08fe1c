import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Streaming probe for bench/run: JDK only (java.net.http, HTTP/1.1), run as {@code java bench/StreamProbe.java}.
 *
 * <pre>
 * compare DIRECT_URL VIA_URL MODEL N OUT_PREFIX
 *     N streams to each URL, alternating direct/via, one at a time. Per stream: time to first token
 *     (request sent → first "data:" line) and the gaps between successive "data:" lines. Writes
 *     OUT_PREFIX-{direct,via}.ttft / .gaps (one number in µs per line) and prints a summary.
 * concurrent URL MODEL N PEAK_FILE
 *     N streams at once. Touches PEAK_FILE when every stream has its first token (so the caller can
 *     sample the head's heap and RSS while all are open), then waits for all to end. Prints ok/errors.
 * </pre>
 */
public class StreamProbe {
  public static void main(String[] args) throws Exception {
    Locale.setDefault(Locale.ROOT);
    switch (args.length == 0 ? "" : args[0]) {
      case "compare" -> compare(args[1], args[2], args[3], Integer.parseInt(args[4]), args[5]);
      case "concurrent" -> concurrent(args[1], args[2], Integer.parseInt(args[3]), Path.of(args[4]));
      default -> {
        System.err.println("usage: StreamProbe compare DIRECT_URL VIA_URL MODEL N OUT_PREFIX"
            + " | concurrent URL MODEL N PEAK_FILE");
        System.exit(2);
      }
    }
  }

  static HttpRequest request(String url, String model) {
    String body = "{\"model\":\"" + model + "\",\"stream\":true,\"max_tokens\":50,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world!\"}]}";
    return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(2))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  static HttpClient client() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
  }

  // ---- compare: added time to first token and gap distortion, direct vs through the gateway ----

  static void compare(String direct, String via, String model, int n, String out) throws Exception {
    HttpClient http = client();
    // Warm-up: connections, JIT on both paths.
    for (int i = 0; i < Math.max(5, n / 10); i++) {
      one(http, direct, model, new ArrayList<>(), new ArrayList<>());
      one(http, via, model, new ArrayList<>(), new ArrayList<>());
    }
    List<Long> ttftD = new ArrayList<>(), ttftV = new ArrayList<>(), gapsD = new ArrayList<>(), gapsV = new ArrayList<>();
    int failures = 0;
    for (int i = 0; i < n; i++) {
      failures += one(http, direct, model, ttftD, gapsD) ? 0 : 1;
      failures += one(http, via, model, ttftV, gapsV) ? 0 : 1;
    }
    write(Path.of(out + "-direct.ttft"), ttftD);
    write(Path.of(out + "-via.ttft"), ttftV);
    write(Path.of(out + "-direct.gaps"), gapsD);
    write(Path.of(out + "-via.gaps"), gapsV);
    long[] td = sorted(ttftD), tv = sorted(ttftV), gd = sorted(gapsD), gv = sorted(gapsV);
    // Jitter: how far each gap is from the median gap of its own path (the sim's tokens are evenly spaced).
    long[] jd = jitter(gd), jv = jitter(gv);
    System.out.printf("streams=%d failures=%d%n", n, failures);
    System.out.printf("ttft_p50_direct_us=%d ttft_p50_via_us=%d ttft_added_p50_us=%d%n", pct(td, 50), pct(tv, 50),
        pct(tv, 50) - pct(td, 50));
    System.out.printf("ttft_p99_direct_us=%d ttft_p99_via_us=%d%n", pct(td, 99), pct(tv, 99));
    System.out.printf("gap_p50_direct_us=%d gap_p50_via_us=%d gap_p99_direct_us=%d gap_p99_via_us=%d"
        + " gap_added_p99_us=%d%n", pct(gd, 50), pct(gv, 50), pct(gd, 99), pct(gv, 99), pct(gv, 99) - pct(gd, 99));
    System.out.printf("jitter_p99_direct_us=%d jitter_p99_via_us=%d jitter_added_p99_us=%d%n", pct(jd, 99),
        pct(jv, 99), pct(jv, 99) - pct(jd, 99));
    if (failures > 0) {
      System.exit(1);
    }
  }

  /** One stream; true if it ended with [DONE]. Records TTFT and the gaps between data lines in µs. */
  static boolean one(HttpClient http, String url, String model, List<Long> ttft, List<Long> gaps) throws Exception {
    long start = System.nanoTime();
    HttpResponse<Stream<String>> resp = http.send(request(url, model), HttpResponse.BodyHandlers.ofLines());
    if (resp.statusCode() != 200) {
      resp.body().close();
      System.err.println(url + " -> " + resp.statusCode());
      return false;
    }
    long last = -1;
    boolean done = false;
    try (Stream<String> lines = resp.body()) {
      for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
        String line = it.next();
        if (!line.startsWith("data:")) {
          continue;
        }
        long now = System.nanoTime();
        if (line.startsWith("data: [DONE]")) {
          done = true;
          break;
        }
        if (last < 0) {
          ttft.add((now - start) / 1000);
        } else {
          gaps.add((now - last) / 1000);
        }
        last = now;
      }
    }
    return done;
  }

  // ---- concurrent: many open streams through one head ----

  static void concurrent(String url, String model, int n, Path peakFile) throws Exception {
    HttpClient http = client();
    AtomicInteger first = new AtomicInteger(), ok = new AtomicInteger(), errors = new AtomicInteger();
    CountDownLatch allFirst = new CountDownLatch(n);
    List<CompletableFuture<?>> all = new ArrayList<>(n);
    Map<String, AtomicInteger> errorKinds = new java.util.concurrent.ConcurrentHashMap<>();
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      LineCounter lc = new LineCounter(first, allFirst);
      CompletableFuture<HttpResponse<Void>> f = http.sendAsync(request(url, model),
          HttpResponse.BodyHandlers.fromLineSubscriber(lc));
      all.add(f.handle((resp, err) -> {
        String kind = err != null ? err.getClass().getSimpleName() + ": " + err.getMessage()
            : resp.statusCode() != 200 ? "status " + resp.statusCode() : !lc.done ? "no [DONE]" : null;
        if (kind == null) {
          ok.incrementAndGet();
        } else {
          errors.incrementAndGet();
          errorKinds.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
          if (!lc.counted) {
            lc.counted = true;
            allFirst.countDown();
          }
        }
        return null;
      }));
    }
    boolean peak = allFirst.await(120, TimeUnit.SECONDS);
    System.out.printf("open=%d first_token_all=%s after_ms=%d%n", first.get(), peak,
        (System.nanoTime() - start) / 1_000_000);
    Files.writeString(peakFile, "peak\n");
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
    System.out.printf("streams=%d ok=%d errors=%d total_ms=%d%n", n, ok.get(), errors.get(),
        (System.nanoTime() - start) / 1_000_000);
    errorKinds.forEach((k, v) -> System.out.println("error " + v + "x " + k));
    System.exit(errors.get() == 0 ? 0 : 1);
  }

  static final class LineCounter implements Flow.Subscriber<String> {
    final AtomicInteger first;
    final CountDownLatch allFirst;
    volatile boolean done;
    volatile boolean counted;

    LineCounter(AtomicInteger first, CountDownLatch allFirst) {
      this.first = first;
      this.allFirst = allFirst;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(String line) {
      if (!counted && line.startsWith("data:")) {
        counted = true;
        first.incrementAndGet();
        allFirst.countDown();
      }
      if (line.startsWith("data: [DONE]")) {
        done = true;
      }
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onComplete() {}
  }

  // ---- numbers ----

  static long[] sorted(List<Long> xs) {
    long[] a = xs.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(a);
    return a;
  }

  static long[] jitter(long[] sortedGaps) {
    long median = pct(sortedGaps, 50);
    long[] j = Arrays.stream(sortedGaps).map(g -> Math.abs(g - median)).toArray();
    Arrays.sort(j);
    return j;
  }

  static long pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return -1;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  static void write(Path p, List<Long> xs) throws IOException {
    StringBuilder sb = new StringBuilder();
    xs.forEach(x -> sb.append(x).append('\n'));
    Files.writeString(p, sb);
  }
}
