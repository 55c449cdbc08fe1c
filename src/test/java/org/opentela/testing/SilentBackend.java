package org.opentela.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A backend that reads each request and never answers, as an LLM that has not produced its first token:
 * it reports when a request arrived and when the connection that carried it was closed by the other side,
 * which is what frees a real backend's GPU. One thread per connection; a test's handful is fine.
 */
public final class SilentBackend implements AutoCloseable {
  /** One connection: when its first bytes arrived, and when it was closed (its read saw the end). */
  public record Closed(long openedNanos, long closedNanos, String firstLine) {}

  private final ServerSocket server;
  public final int port;
  /** A request's first line as it arrives. */
  public final BlockingQueue<String> arrived = new LinkedBlockingQueue<>();
  /** Connections as they are closed. */
  public final BlockingQueue<Closed> closed = new LinkedBlockingQueue<>();

  public SilentBackend() throws IOException {
    server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    port = server.getLocalPort();
    Thread acceptor = new Thread(this::accept, "silent-backend-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Thread t = new Thread(() -> hold(s), "silent-backend-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void hold(Socket s) {
    long opened = 0;
    StringBuilder first = new StringBuilder();
    boolean firstLineDone = false;
    try (s; InputStream in = s.getInputStream()) {
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) >= 0) {
        if (opened == 0) {
          opened = System.nanoTime();
        }
        for (int i = 0; i < n && !firstLineDone; i++) {
          if (buf[i] == '\r' || buf[i] == '\n') {
            firstLineDone = true;
            arrived.add(first.toString());
          } else {
            first.append((char) buf[i]);
          }
        }
      }
    } catch (IOException e) {
      // reset by the peer: closed too
    }
    closed.add(new Closed(opened, System.nanoTime(), first.toString()));
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
