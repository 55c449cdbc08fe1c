package org.opentela.testing;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Closed-loop clients that send a request, then the next, until stopped: a fault test's steady load. A 200
 * counts as ok; any other status or an exception is kept as a failure, with what it said.
 */
public final class SteadyLoad implements AutoCloseable {
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicInteger ok = new AtomicInteger();
  private final List<String> failures = new CopyOnWriteArrayList<>();
  private final List<Thread> clients = new ArrayList<>();

  private SteadyLoad() {}

  /** Starts {@code clients} threads, each calling {@code request} in a loop. */
  public static SteadyLoad start(int clients, Callable<HttpResponse<String>> request) {
    SteadyLoad load = new SteadyLoad();
    for (int c = 0; c < clients; c++) {
      Thread t = new Thread(() -> {
        while (load.running.get()) {
          try {
            HttpResponse<String> r = request.call();
            if (r.statusCode() == 200) {
              load.ok.incrementAndGet();
            } else {
              load.failures.add(r.statusCode() + " " + r.body());
            }
          } catch (Exception e) {
            load.failures.add(e.toString());
          }
        }
      });
      t.start();
      load.clients.add(t);
    }
    return load;
  }

  /** Requests answered 200 so far. */
  public int ok() {
    return ok.get();
  }

  /** What the failed requests said, so far. */
  public List<String> failures() {
    return failures;
  }

  /** Stops the clients and waits for their last requests to end. */
  @Override
  public void close() throws InterruptedException {
    running.set(false);
    for (Thread t : clients) {
      t.join(60_000);
    }
  }
}
