import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * Latency at a low request rate: one keep-alive connection, one small chat request every GAP µs (the request
 * written in one piece, the response read to its end), after WARM unpaced requests. A load generator that
 * sends back to back (wrk) keeps every thread of the path busy; a request that arrives after a pause finds
 * them parked, and pays for waking each one. Prints {@code PACED p50_us=.. p90_us=.. p99_us=..}.
 *
 * <pre>java bench/Paced.java URL MODEL GAP_US N [WARM]</pre>
 */
public final class Paced {
  public static void main(String[] args) throws Exception {
    Locale.setDefault(Locale.ROOT);
    URI uri = URI.create(args[0]);
    String model = args[1];
    long gapNanos = Long.parseLong(args[2]) * 1000;
    int n = Integer.parseInt(args[3]);
    int warm = args.length > 4 ? Integer.parseInt(args[4]) : 2000;
    byte[] body = ("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world!\"}],"
        + "\"max_tokens\":16}").getBytes(StandardCharsets.UTF_8);
    byte[] head = ("POST " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort() + "\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    byte[] request = Arrays.copyOf(head, head.length + body.length);
    System.arraycopy(body, 0, request, head.length, body.length);
    long[] lat = new long[n];
    try (Socket s = new Socket()) {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
      s.setSoTimeout(10_000); // as wrk's --timeout: a stalled server fails the run instead of hanging it
      OutputStream out = s.getOutputStream();
      InputStream in = new BufferedInputStream(s.getInputStream());
      for (int i = 0; i < warm + n; i++) {
        if (i >= warm) {
          // parkNanos, not a spin: the client must not keep a core busy. It may return early: park to a deadline.
          for (long until = System.nanoTime() + gapNanos, left = gapNanos; left > 0; left = until - System.nanoTime()) {
            LockSupport.parkNanos(left);
          }
        }
        long t = System.nanoTime();
        out.write(request);
        out.flush();
        int status = readResponse(in);
        if (status != 200) {
          throw new IOException("status " + status + " from " + uri);
        }
        if (i >= warm) {
          lat[i - warm] = System.nanoTime() - t;
        }
      }
    }
    Arrays.sort(lat);
    System.out.printf("PACED gap_us=%d n=%d p50_us=%d p90_us=%d p99_us=%d%n", gapNanos / 1000, n, lat[n / 2] / 1000,
        lat[n * 9 / 10] / 1000, lat[Math.min(n - 1, n * 99 / 100)] / 1000);
  }

  /** Reads one response (Content-Length or chunked body) and returns its status. */
  static int readResponse(InputStream in) throws IOException {
    String status = line(in);
    int code = Integer.parseInt(status.split(" ")[1]);
    long length = -1;
    boolean chunked = false;
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      String lower = h.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(h.substring(15).trim());
      } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
        chunked = true;
      }
    }
    if (chunked) {
      for (long size = Long.parseLong(line(in).trim(), 16); size > 0; size = Long.parseLong(line(in).trim(), 16)) {
        skip(in, size);
        line(in);
      }
      line(in);
    } else {
      skip(in, Math.max(length, 0));
    }
    return code;
  }

  static void skip(InputStream in, long n) throws IOException {
    for (long left = n; left > 0; left--) {
      if (in.read() < 0) {
        throw new EOFException();
      }
    }
  }

  static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException();
      }
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }
}
