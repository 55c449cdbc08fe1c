package org.opentela.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.testing.FakeOpenAi;
import org.opentela.testing.Http;
import org.opentela.testing.InJvmNode;

/** Dead, stopping and downed workers, with a head and two workers in one JVM. */
class FaultToleranceTest {

  private static boolean connected(InJvmNode viewer, String peerId) {
    JsonNode t = viewer.table();
    return t != null && t.has("/" + peerId) && t.get("/" + peerId).get("connected").asBoolean();
  }

  /** Fails, saying what the viewer's table shows, unless each worker is connected with one service. */
  private static void assertServing(InJvmNode viewer, InJvmNode... workers) {
    JsonNode t = viewer.table();
    for (InJvmNode w : workers) {
      assertTrue(connected(viewer, w.peerId()) && t.get("/" + w.peerId()).get("service").size() == 1,
          () -> w.peerId() + " is not serving in " + t);
    }
  }

  private static boolean present(InJvmNode viewer, String peerId) {
    JsonNode t = viewer.table();
    return t != null && t.has("/" + peerId);
  }

  private static CompletableFuture<HttpResponse<String>> slow(InJvmNode head, long delayMs) {
    return Http.client().sendAsync(HttpRequest.newBuilder(URI.create(head.url("/v1/service/llm/slow")))
        .timeout(Duration.ofSeconds(60)).header("X-Otela-Identity-Group", "model=m")
        .header("X-Fake-Delay", Long.toString(delayMs)).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aCrashedWorkersRequestsAreRetriedElsewhereAndItIsRoutedAroundThenPruned(@TempDir Path dir) throws Exception {
    try (FakeOpenAi b1 = FakeOpenAi.start("b1", "m"); FakeOpenAi b2 = FakeOpenAi.start("b2", "m");
         InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "20");
         InJvmNode w2 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "22")) {
      // w1 dies without leaving the cluster, as a killed process or a lost machine does.
      InJvmNode w1 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "21",
          "-Dpekko.coordinated-shutdown.run-by-actor-system-terminate=off");
      w1.publish("llm", b1.port, "model=m");
      w2.publish("llm", b2.port, "model=m");
      eventually("both workers to serve", Duration.ofSeconds(30), () -> assertServing(head, w1, w2));
      List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        inFlight.add(slow(head, 2500));
      }
      eventually("requests to reach w1's backend", Duration.ofSeconds(10),
          () -> assertTrue(b1.requests.size() >= 2, () -> "requests at w1's backend: " + b1.requests.size()));
      long crashed = System.nanoTime();
      w1.node.stop(); // no coordinated shutdown (see its flag): it just disappears

      Duration out = eventually("the head to stop routing to w1", Duration.ofSeconds(15),
          () -> assertFalse(connected(head, w1.peerId()), () -> "the head's table: " + head.table()));
      System.out.println("crashed worker out of routing after " + (System.nanoTime() - crashed) / 1_000_000 + " ms");
      for (CompletableFuture<HttpResponse<String>> f : inFlight) {
        HttpResponse<String> r = f.get();
        assertEquals(200, r.statusCode(), "no client sees the crash: " + r.body());
        assertEquals(w2.peerId(), r.headers().firstValue("X-Computing-Node").orElseThrow());
      }
      HttpResponse<String> after = slow(head, 0).get();
      assertEquals(w2.peerId(), after.headers().firstValue("X-Computing-Node").orElseThrow());
      assertTrue(out.toSeconds() < 15);

      eventually("w1 to be downed and pruned from every table", Duration.ofSeconds(40), () -> {
        assertFalse(present(head, w1.peerId()), () -> "the head's table: " + head.table());
        assertFalse(present(w2, w1.peerId()), () -> "w2's table: " + w2.table());
      });
      System.out.println("crashed worker pruned after " + (System.nanoTime() - crashed) / 1_000_000 + " ms");
    }
  }

  @Test
  void aStoppingWorkerFinishesItsStreamsAndTakesNoNewRequests(@TempDir Path dir) throws Exception {
    try (FakeOpenAi b1 = FakeOpenAi.start("b1", "m"); FakeOpenAi b2 = FakeOpenAi.start("b2", "m");
         InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "30");
         InJvmNode w2 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "32")) {
      InJvmNode w1 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "31");
      w1.publish("llm", b1.port, "model=only-w1", "model=m");
      w2.publish("llm", b2.port, "model=m");
      eventually("both workers to serve", Duration.ofSeconds(30), () -> assertServing(head, w1, w2));
      // A 3-second stream on w1, then w1 is asked to stop.
      HttpResponse<InputStream> stream = Http.client().send(HttpRequest.newBuilder(
              URI.create(head.url("/v1/service/llm/v1/chat/completions"))).timeout(Duration.ofSeconds(60))
          .header("Content-Type", "application/json").header("X-Fake-Chunks", "15").header("X-Fake-Delay", "200")
          .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"only-w1\",\"stream\":true}")).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, stream.statusCode());
      CompletableFuture<Void> stopped = CompletableFuture.runAsync(w1::close);
      eventually("w1 to be marked draining in the head's table", Duration.ofSeconds(5), () -> {
        JsonNode t = head.table();
        assertEquals("draining", t.get("/" + w1.peerId()).get("status").asText(), t::toString);
      });
      for (int i = 0; i < 10; i++) {
        HttpResponse<String> r = slow(head, 0).get();
        assertEquals(200, r.statusCode());
        assertEquals(w2.peerId(), r.headers().firstValue("X-Computing-Node").orElseThrow(), "no new work for w1");
      }
      List<String> events = new ArrayList<>();
      try (BufferedReader in = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (line.startsWith("data: ")) {
            events.add(line);
          }
        }
      }
      assertEquals(16, events.size(), "the stream in flight finished: " + events);
      assertEquals("data: [DONE]", events.get(15));
      stopped.get();
      eventually("w1 to leave every table", Duration.ofSeconds(20),
          () -> assertFalse(present(head, w1.peerId()), () -> "the head's table: " + head.table()));
    }
  }

  @Test
  void aDownedWorkerStartsAFreshMemberAndRejoins(@TempDir Path dir) throws Exception {
    try (FakeOpenAi b1 = FakeOpenAi.start("b1", "m");
         InJvmNode head = InJvmNode.start(dir, "--mode", "standalone", "--seed", "40");
         InJvmNode w1 = InJvmNode.start(dir, "--bootstrap.addr", head.multiaddr(), "--seed", "41")) {
      eventually("w1 to join", Duration.ofSeconds(30), () -> head.assertSeesConnected(head.peerId(), w1.peerId()));
      var firstSystem = w1.system();
      Cluster.get(head.system()).manager().tell(new Down(firstSystem.address()));
      eventually("w1 to replace its member", Duration.ofSeconds(30),
          () -> assertNotSame(firstSystem, w1.system(), "w1's actor system"));
      assertTrue(!w1.exit.isDone(), "the node did not exit");
      w1.publish("llm", b1.port, "model=m");
      eventually("w1 to be back and serving", Duration.ofSeconds(40), () -> assertServing(head, w1));
      HttpResponse<String> r = slow(head, 0).get();
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(w1.peerId(), r.headers().firstValue("X-Computing-Node").orElseThrow());
    }
  }

  @Test
  void twoHeadsGivenEachOtherFormOnePoolThatSurvivesTheLossOfEither(@TempDir Path dir) throws Exception {
    // Head A's multiaddr must be known before it starts: free ports are picked by the test.
    int tcpA = org.opentela.testing.Ports.free();
    int tcpB = org.opentela.testing.Ports.free();
    String idA = org.opentela.identity.NodeIdentity.fromSeed(50).peerId();
    String idB = org.opentela.identity.NodeIdentity.fromSeed(51).peerId();
    String addrA = "/ip4/127.0.0.1/tcp/" + tcpA + "/p2p/" + idA;
    String addrB = "/ip4/127.0.0.1/tcp/" + tcpB + "/p2p/" + idB;
    try (FakeOpenAi b = FakeOpenAi.start("b", "m")) {
      InJvmNode headA = InJvmNode.start(dir, "--mode", "standalone", "--seed", "50", "--tcpport", "" + tcpA,
          "--bootstrap.addr", addrB, "-Dpekko.coordinated-shutdown.run-by-actor-system-terminate=off");
      InJvmNode headB = InJvmNode.start(dir, "--mode", "standalone", "--seed", "51", "--tcpport", "" + tcpB,
          "--bootstrap.addr", addrA);
      InJvmNode worker = InJvmNode.start(dir, "--bootstrap.addr", addrA + "," + addrB, "--seed", "52");
      try {
        worker.publish("llm", b.port, "model=m");
        eventually("one pool of three", Duration.ofSeconds(40), () -> {
          headA.assertSeesConnected(idA, idB, worker.peerId());
          headB.assertSeesConnected(idA, idB, worker.peerId());
        });
        eventually("the three members to be Up in every view", Duration.ofSeconds(30), () -> {
          for (InJvmNode n : List.of(headA, headB, worker)) {
            n.assertConverged(3);
          }
        });
        assertEquals(200, slow(headB, 0).get().statusCode());
        var workerSystem = worker.system();
        var headBSystem = headB.system();
        headA.node.stop(); // head A crashes: no coordinated shutdown, so it does not leave
        eventually("head B to route to the worker without head A", Duration.ofSeconds(60), () -> {
          // Losing head A must cost neither the worker nor head B their membership (a downed member
          // restarts in a fresh actor system, and the service the test published is gone with it).
          assertSame(workerSystem, worker.system(), "the worker's actor system (a new one: it was downed)");
          assertSame(headBSystem, headB.system(), "head B's actor system (a new one: it was downed)");
          assertFalse(present(headB, idA), () -> "head B's table: " + headB.table());
          HttpResponse<String> r = slow(headB, 0).get();
          assertEquals(200, r.statusCode(), () -> r.body() + "; head B's table: " + headB.table());
        });
        assertTrue(!worker.exit.isDone(), "the worker kept running");
      } finally {
        worker.close();
        headB.close();
        headA.close();
      }
    }
  }
}
