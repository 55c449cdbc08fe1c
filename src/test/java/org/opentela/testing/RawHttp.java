package org.opentela.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** HTTP/1.1 as bytes on a socket, for requests no HTTP client would send. */
public final class RawHttp {
  private RawHttp() {}

  /** What came back: the response's bytes as text, and whether the server closed the connection after it. */
  public record Answer(String text, boolean closed, long tookMs) {
    public int status() {
      return text.startsWith("HTTP/1.") && text.length() >= 12 ? Integer.parseInt(text.substring(9, 12)) : -1;
    }

    public String body() {
      int at = text.indexOf("\r\n\r\n");
      return at < 0 ? "" : text.substring(at + 4);
    }
  }

  /** A connection to {@code port} on loopback, from {@code from} (e.g. 127.0.0.2) if not null. */
  public static Socket connect(int port, String from) throws IOException {
    Socket s = new Socket();
    if (from != null) {
      s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
    }
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
    return s;
  }

  /** Sends {@code request} on a new connection and reads until the server closes it or {@code wait} passes. */
  public static Answer exchange(int port, String request, Duration wait) throws IOException {
    try (Socket s = connect(port, null)) {
      long start = System.nanoTime();
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      return read(s, wait, start);
    }
  }

  /**
   * Reads from {@code s} until the server closes it, a whole response with a Content-Length has arrived
   * (then {@code closed} says whether it was followed by the close), or {@code wait} passes.
   */
  public static Answer read(Socket s, Duration wait, long startNanos) throws IOException {
    long deadline = System.nanoTime() + wait.toNanos();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    InputStream in = s.getInputStream();
    byte[] buf = new byte[8192];
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        return new Answer(got.toString(StandardCharsets.ISO_8859_1), false, (System.nanoTime() - startNanos) / 1_000_000);
      }
      s.setSoTimeout((int) Math.max(1, left));
      int n;
      try {
        n = in.read(buf);
      } catch (SocketTimeoutException e) {
        continue;
      } catch (IOException reset) {
        n = -1;
      }
      if (n < 0) {
        return new Answer(got.toString(StandardCharsets.ISO_8859_1), true, (System.nanoTime() - startNanos) / 1_000_000);
      }
      got.write(buf, 0, n);
    }
  }
}
