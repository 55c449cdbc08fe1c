import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Long prompts (issue 17): the time a request body of 200 KB, 2 MB or 20 MB adds, per path, one request at
 * a time (median of N, the paths alternating in a rotated order so that they share the machine's state),
 * and the request rate at a few connections. The body is a chat request ({"model":..., "messages":[...]})
 * whose user message is long text, so a router's model lookup and prompt hashing run on it.
 *
 * <pre>java bench/BodyBench.java OUT_PREFIX MODEL SIZES ROUNDS WARM CONNS SECONDS label=url ...</pre>
 * SIZES: bytes, comma separated; ROUNDS: per size, comma separated (one per size); CONNS: comma separated.
 * Writes OUT_PREFIX.tsv: {@code latency size label n p50_us p90_us min_us non200} and
 * {@code rate size conns label req_s mb_s errors} rows, and prints them.
 *
 * <pre>java bench/BodyBench.java paced URL MODEL GAP_US N [WARM]</pre>
 * Latency at a low request rate: one keep-alive connection, one small chat request every GAP_US µs, after
 * WARM (default 2000) unpaced ones. A load generator that sends back to back (wrk) keeps every thread of the
 * path busy; a request that arrives after a pause finds them parked, and pays for waking each one. Prints
 * {@code PACED gap_us=.. n=.. p50_us=.. p90_us=.. p99_us=..}.
 *
 * <p>A minimal HTTP/1.1 client on plain sockets (keep-alive, Content-Length or chunked responses): a
 * library client's own cost per byte would blur the small differences between the paths.
 */
public final class BodyBench {
  record Target(String label, URI uri) {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("paced")) {
      paced(URI.create(args[1]), args[2], Long.parseLong(args[3]) * 1000, Integer.parseInt(args[4]),
          args.length > 5 ? Integer.parseInt(args[5]) : 2000);
      return;
    }
    String out = args[0];
    String model = args[1];
    int[] sizes = Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray();
    int[] rounds = Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray();
    int warm = Integer.parseInt(args[4]);
    int[] conns = args[5].isEmpty() ? new int[0] : Arrays.stream(args[5].split(",")).mapToInt(Integer::parseInt).toArray();
    int seconds = Integer.parseInt(args[6]);
    List<Target> targets = new ArrayList<>();
    for (int i = 7; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      targets.add(new Target(args[i].substring(0, eq), URI.create(args[i].substring(eq + 1))));
    }
    List<String> rows = new ArrayList<>();
    for (int si = 0; si < sizes.length; si++) {
      byte[] body = chatBody(model, sizes[si], si);
      int n = rounds[Math.min(si, rounds.length - 1)];
      Client[] clients = new Client[targets.size()];
      for (int t = 0; t < targets.size(); t++) {
        clients[t] = new Client(targets.get(t).uri());
        for (int w = 0; w < warm; w++) {
          clients[t].post(body);
        }
      }
      long[][] us = new long[targets.size()][n];
      int[] failed = new int[targets.size()];
      for (int r = 0; r < n; r++) {
        for (int k = 0; k < targets.size(); k++) {
          int t = (k + r) % targets.size(); // rotated: no path always goes first after a pause
          long t0 = System.nanoTime();
          int status = clients[t].post(body);
          us[t][r] = (System.nanoTime() - t0) / 1000;
          if (status != 200) {
            failed[t]++;
            System.err.println(targets.get(t).label() + ": HTTP " + status + " for a " + body.length + "-byte body");
          }
        }
      }
      for (int t = 0; t < targets.size(); t++) {
        clients[t].close();
        long[] s = us[t].clone();
        Arrays.sort(s);
        String row = String.format(Locale.ROOT, "latency\t%d\t%s\t%d\t%d\t%d\t%d\t%d", body.length, targets.get(t).label(),
            n, s[n / 2], s[Math.min(n - 1, (int) Math.ceil(n * 0.9) - 1)], s[0], failed[t]);
        rows.add(row);
        System.out.println(row);
      }
      for (int c : conns) {
        for (Target t : targets) {
          String row = rate(t, body, c, seconds);
          rows.add(row);
          System.out.println(row);
        }
      }
    }
    Files.write(Path.of(out + ".tsv"), rows);
  }

  /** One connection, one small chat request every {@code gapNanos} after {@code warm} unpaced ones: see the class. */
  static void paced(URI uri, String model, long gapNanos, int n, int warm) throws IOException {
    byte[] body = ("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world!\"}],"
        + "\"max_tokens\":16}").getBytes(StandardCharsets.UTF_8);
    long[] lat = new long[n];
    Client client = new Client(uri);
    try {
      for (int i = 0; i < warm + n; i++) {
        if (i >= warm) {
          // parkNanos, not a spin: the client must not keep a core busy. It may return early: park to a deadline.
          for (long until = System.nanoTime() + gapNanos, left = gapNanos; left > 0; left = until - System.nanoTime()) {
            java.util.concurrent.locks.LockSupport.parkNanos(left);
          }
        }
        long t = System.nanoTime();
        int status = client.post(body);
        if (status != 200) {
          throw new IOException("status " + status + " from " + uri);
        }
        if (i >= warm) {
          lat[i - warm] = System.nanoTime() - t;
        }
      }
    } finally {
      client.close();
    }
    Arrays.sort(lat);
    System.out.printf(Locale.ROOT, "PACED gap_us=%d n=%d p50_us=%d p90_us=%d p99_us=%d%n", gapNanos / 1000, n,
        lat[n / 2] / 1000, lat[n * 9 / 10] / 1000, lat[Math.min(n - 1, n * 99 / 100)] / 1000);
  }

  /** {@code c} connections, each posting {@code body} back to back for {@code seconds}. */
  static String rate(Target t, byte[] body, int c, int seconds) throws InterruptedException {
    AtomicLong ok = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < c; i++) {
      Thread th = new Thread(() -> {
        Client client = null;
        while (System.nanoTime() < end) {
          try {
            if (client == null) {
              client = new Client(t.uri());
            }
            if (client.post(body) == 200) {
              ok.incrementAndGet();
            } else {
              errors.incrementAndGet();
            }
          } catch (IOException e) {
            errors.incrementAndGet();
            if (client != null) {
              client.close();
            }
            client = null;
          }
        }
        if (client != null) {
          client.close();
        }
      });
      th.start();
      threads.add(th);
    }
    long t0 = System.nanoTime();
    for (Thread th : threads) {
      th.join();
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    return String.format(Locale.ROOT, "rate\t%d\t%d\t%s\t%.1f\t%.1f\t%d", body.length, c, t.label(), ok.get() / secs,
        ok.get() * (double) body.length / secs / 1e6, errors.get());
  }

  /**
   * A chat request of about {@code size} bytes: a short system message, then a user message of words
   * (with the odd escaped quote and newline, as pasted documents have), then the usual options.
   */
  static byte[] chatBody(String model, int size, int seed) {
    String[] words = {"the", "model", "context", "window", "retrieval", "document", "agent", "token", "cluster",
        "latency", "request", "of", "and", "to", "in", "a", "prompt", "answer", "with", "long", "section", "table"};
    String head = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful"
        + " assistant. Answer from the documents below.\"},{\"role\":\"user\",\"content\":\"";
    String tail = "\"}],\"max_tokens\":16,\"temperature\":0}";
    StringBuilder sb = new StringBuilder(size + 64).append(head);
    Random rnd = new Random(17 + seed);
    int limit = size - tail.length();
    while (sb.length() < limit - 16) {
      int r = rnd.nextInt(100);
      sb.append(words[rnd.nextInt(words.length)]).append(r < 3 ? ".\\n" : r < 4 ? " \\\"quoted\\\" " : " ");
    }
    while (sb.length() < limit) {
      sb.append('x');
    }
    return sb.append(tail).toString().getBytes(StandardCharsets.UTF_8);
  }

  /** One keep-alive HTTP/1.1 connection. */
  static final class Client {
    private final URI uri;
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    Client(URI uri) throws IOException {
      this.uri = uri;
      socket = new Socket();
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
      socket.setSoTimeout(120_000);
      out = socket.getOutputStream();
      in = new BufferedInputStream(socket.getInputStream(), 65536);
    }

    /** Posts {@code body}, reads the whole response; returns its status. */
    int post(byte[] body) throws IOException {
      String head = "POST " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
          + "\r\nContent-Type: application/json\r\nAuthorization: Bearer test-token\r\nContent-Length: " + body.length
          + "\r\n\r\n";
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      String status = line();
      int code = Integer.parseInt(status.split(" ")[1]);
      long length = -1;
      boolean chunked = false;
      String h;
      while (!(h = line()).isEmpty()) {
        String lower = h.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          length = Long.parseLong(h.substring(15).trim());
        } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
          chunked = true;
        }
      }
      if (chunked) {
        long n;
        while ((n = Long.parseLong(line().split(";")[0].trim(), 16)) > 0) {
          skip(n);
          line();
        }
        while (!line().isEmpty()) {
          // trailers
        }
      } else if (length > 0) {
        skip(length);
      }
      return code;
    }

    private void skip(long n) throws IOException {
      while (n > 0) {
        long s = in.skip(n);
        if (s <= 0) {
          if (in.read() < 0) {
            throw new IOException("connection closed in a response body");
          }
          s = 1;
        }
        n -= s;
      }
    }

    private String line() throws IOException {
      StringBuilder sb = new StringBuilder();
      int c;
      while ((c = in.read()) != '\n') {
        if (c < 0) {
          throw new IOException("connection closed");
        }
        if (c != '\r') {
          sb.append((char) c);
        }
      }
      return sb.toString();
    }

    void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing
      }
    }
  }
}
