package org.opentela.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.testing.JarProcess;
import org.opentela.testing.Ports;

/**
 * An idle pool costs next to nothing (issue 17): a head and a worker with no traffic. Two bounds, both
 * generous (the goal, ≤ 2 % of a core per node, is measured by {@code bench/idle}):
 * <ul>
 *   <li>each node's CPU over 10 s stays under 15 % of a core (the build before issue 17 idled at 2.5-4 %
 *       on this 2-core machine; the issue measured 7.5 %; this test measured 7-8 % while ten other JVMs
 *       were starting beside it);</li>
 *   <li>Pekko's scheduler thread, which wakes up every tick whether or not a timer is due, wakes up fewer
 *       than 60 times a second: at the default 10 ms tick it woke 99 times a second (measured), at our
 *       50 ms 18-20. Wake-ups are counted (voluntary context switches), not timed, so a busy machine does
 *       not change them.</li>
 * </ul>
 */
class IdleE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final long HZ = 100; // USER_HZ: /proc reports CPU in 1/100 s on Linux

  @Test
  void anIdleHeadAndWorkerBurnNextToNoCpuAndTheSchedulerSleepsBetweenTicks(@TempDir Path dir) throws Exception {
    int headHttp = Ports.free(), headTcp = Ports.free();
    try (JarProcess head = JarProcess.start("head", "start", "--mode", "standalone", "--seed", "0", "--public-addr",
            "127.0.0.1", "--port", "" + headHttp, "--tcpport", "" + headTcp, "--management.port", "" + Ports.free(),
            "--datadir", dir.resolve("data").toString());
        JarProcess worker = JarProcess.start("worker", "start", "--bootstrap.addr",
            "/ip4/127.0.0.1/tcp/" + headTcp + "/p2p/QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE", "--seed", "1",
            "--public-addr", "127.0.0.1", "--port", "" + Ports.free(), "--tcpport", "" + Ports.free(),
            "--management.port", "" + Ports.free(), "--datadir", dir.resolve("data").toString())) {
      eventually("both nodes connected in the head's table", Duration.ofSeconds(90), () -> {
        JsonNode t = table(headHttp);
        int connected = 0;
        for (JsonNode row : t) {
          connected += row.path("connected").asBoolean() ? 1 : 0;
        }
        assertTrue(connected == 2, "head's table: " + t);
      });
      // Start-up work (joins, the first table writes, most of the JIT's compiling) settles first.
      Thread.sleep(20_000);
      long pidHead = head.process().pid(), pidWorker = worker.process().pid();
      long[] cpu0 = {cpuTicks(pidHead), cpuTicks(pidWorker)};
      long[] wake0 = {schedulerWakeUps(pidHead), schedulerWakeUps(pidWorker)};
      long t0 = System.nanoTime();
      Thread.sleep(10_000);
      double secs = (System.nanoTime() - t0) / 1e9;
      long[] cpu1 = {cpuTicks(pidHead), cpuTicks(pidWorker)};
      long[] wake1 = {schedulerWakeUps(pidHead), schedulerWakeUps(pidWorker)};
      String[] names = {"head", "worker"};
      for (int i = 0; i < 2; i++) {
        double pct = 100.0 * (cpu1[i] - cpu0[i]) / HZ / secs;
        double wakeUps = (wake1[i] - wake0[i]) / secs;
        System.out.printf("idle %s: %.2f %% of a core, scheduler thread woke %.1f times/s%n", names[i], pct, wakeUps);
        assertTrue(pct < 15, names[i] + " idle CPU " + pct + " % of a core");
        assertTrue(wakeUps < 60, names[i] + "'s scheduler thread woke " + wakeUps + " times a second");
      }
    }
  }

  private static JsonNode table(int port) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/dnt/table"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  /** utime + stime of a process, in 1/100 s. */
  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /** Voluntary context switches of the actor system's scheduler thread ("otela-scheduler-1"). */
  private static long schedulerWakeUps(long pid) throws IOException {
    long n = 0;
    boolean found = false;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks) {
        if (Files.readString(task.resolve("comm")).startsWith("otela-scheduler")) {
          found = true;
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
              n += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
          }
        }
      }
    }
    assertTrue(found, "no otela-scheduler thread in process " + pid);
    return n;
  }
}
