package org.opentela.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.testing.Await;
import org.opentela.testing.FakeOpenAi;
import org.opentela.testing.Http;
import org.opentela.testing.JarProcess;
import org.opentela.testing.Ports;

/** Faults with the real jar as separate processes: a killed and restarted head, and a rolling restart of workers. */
class FaultsE2ETest {

  /** Command lines of a small pool on this machine, so a node can be restarted with the same command. */
  private static final class Pool {
    final Path dir;
    final int headHttp = Ports.free();
    final int headTcp = Ports.free();
    final int headMgmt = Ports.free();
    final Map<String, String[]> commands = new ConcurrentHashMap<>();

    Pool(Path dir) {
      this.dir = dir;
    }

    String[] head() {
      return new String[] {"start", "--mode", "standalone", "--public-addr", "127.0.0.1", "--seed", "0",
          "--port", "" + headHttp, "--tcpport", "" + headTcp, "--management.port", "" + headMgmt,
          "--datadir", dir.resolve("head").toString()};
    }

    String[] worker(String name, int seed, int backendPort) {
      return commands.computeIfAbsent(name, n -> new String[] {"start", "--bootstrap.addr",
          "/ip4/127.0.0.1/tcp/" + headTcp + "/p2p/QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE",
          "--public-addr", "127.0.0.1", "--seed", "" + seed, "--port", "" + Ports.free(), "--tcpport", "" + Ports.free(),
          "--management.port", "" + Ports.free(), "--datadir", dir.resolve(n).toString(),
          "--service.name", "llm", "--service.port", "" + backendPort, "--drain.timeout", "20s"});
    }

    String url(String path) {
      return "http://127.0.0.1:" + headHttp + path;
    }

    JsonNode table() {
      return Http.getJsonOrNull(url("/v1/dnt/table"));
    }

    /** Peer ids with a connected llm service in the head's table. */
    List<String> serving() {
      JsonNode t = table();
      List<String> out = new ArrayList<>();
      if (t != null) {
        t.forEach(row -> {
          if (row.get("connected").asBoolean() && row.get("service").size() > 0
              && "connected".equals(row.get("service").get(0).get("status").asText())
              && row.get("status").asText().isEmpty()) {
            out.add(row.get("id").asText());
          }
        });
      }
      return out;
    }
  }

  private static HttpResponse<String> chat(Pool pool) throws Exception {
    return Http.client().send(HttpRequest.newBuilder(URI.create(pool.url("/v1/service/llm/v1/chat/completions")))
        .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"messages\":[]}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aKilledHeadRestartedWithTheSameCommandGetsItsWorkersBack(@TempDir Path dir) throws Exception {
    Pool pool = new Pool(dir);
    try (FakeOpenAi b1 = FakeOpenAi.start("b1", "m"); FakeOpenAi b2 = FakeOpenAi.start("b2", "m");
         JarProcess w1 = JarProcess.start("w1", pool.worker("w1", 1, b1.port));
         JarProcess w2 = JarProcess.start("w2", pool.worker("w2", 2, b2.port))) {
      JarProcess head = JarProcess.start("head", pool.head());
      try {
        Await.until("both workers serve through the head", Duration.ofSeconds(90), () -> pool.serving().size() == 2);
        assertEquals(200, chat(pool).statusCode());
        head.kill();
        long killed = System.nanoTime();
        head = JarProcess.start("head-again", pool.head());
        Duration back = Await.until("the restarted head has both workers back", Duration.ofSeconds(60),
            () -> pool.serving().size() == 2);
        long sinceKill = (System.nanoTime() - killed) / 1_000_000;
        HttpResponse<String> r = chat(pool);
        assertEquals(200, r.statusCode(), r.body());
        System.out.println("head restart: workers back " + back.toMillis() + " ms after the new head started ("
            + sinceKill + " ms after the kill)");
        assertTrue(back.toSeconds() <= 30, "generous bound; the goal is 15 s");
        assertTrue(w1.process().isAlive() && w2.process().isAlive(), "no worker restarted");
        for (JarProcess w : List.of(w1, w2)) {
          assertTrue(w.output().stream().noneMatch(l -> l.contains("starting a fresh member")),
              "the workers kept their members: " + w.output());
        }
      } finally {
        head.close();
      }
    }
  }

  @Test
  void aRollingRestartOfWorkersBehindSteadyLoadLosesNoRequest(@TempDir Path dir) throws Exception {
    Pool pool = new Pool(dir);
    try (FakeOpenAi b1 = FakeOpenAi.start("b1", "m"); FakeOpenAi b2 = FakeOpenAi.start("b2", "m");
         JarProcess head = JarProcess.start("head", pool.head())) {
      JarProcess[] workers = {JarProcess.start("w1", pool.worker("w1", 1, b1.port)),
          JarProcess.start("w2", pool.worker("w2", 2, b2.port))};
      try {
        Await.until("both workers serve", Duration.ofSeconds(90), () -> pool.serving().size() == 2);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
          Thread t = new Thread(() -> {
            while (running.get()) {
              try {
                HttpResponse<String> r = chat(pool);
                if (r.statusCode() == 200) {
                  ok.incrementAndGet();
                } else {
                  failures.add(r.statusCode() + " " + r.body());
                }
              } catch (Exception e) {
                failures.add(e.toString());
              }
            }
          });
          t.start();
          clients.add(t);
        }
        for (int i = 0; i < workers.length; i++) {
          int before = ok.get();
          workers[i].close(); // SIGTERM: drain, leave, stop
          assertEquals(1, pool.serving().size(), "the other worker carries the load");
          workers[i] = JarProcess.start("w" + (i + 1) + "-again", pool.commands.get("w" + (i + 1)));
          Await.until("the restarted worker serves again", Duration.ofSeconds(90), () -> pool.serving().size() == 2);
          assertTrue(ok.get() > before, "requests kept succeeding");
        }
        Thread.sleep(1000);
        running.set(false);
        for (Thread t : clients) {
          t.join(60_000);
        }
        System.out.println("rolling restart: " + ok.get() + " requests succeeded, " + failures.size() + " failed");
        assertEquals(List.of(), failures, "no request lost during the rolling restart");
        assertTrue(ok.get() > 100);
      } finally {
        for (JarProcess w : workers) {
          w.close();
        }
      }
    }
  }
}
