package org.opentela.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.opentela.testing.LocalTestKit;

/** {@link HeldBody}: a request body that stays open until its exchange ends, and fails when it is aborted. */
class HeldBodyTest {
  private static final ActorTestKit testKit = LocalTestKit.create();
  private static final Materializer mat = Materializer.matFromSystem(testKit.system());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void theBodyIsSentAtOnceAndTheStreamEndsOnlyWithTheExchange() throws Exception {
    CompletableFuture<ByteString> hold = new CompletableFuture<>();
    List<ByteString> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    var done = Source.fromGraph(new HeldBody(ByteString.fromString("{\"model\":\"m\"}"), hold))
        .runWith(Sink.foreach(seen::add), mat).toCompletableFuture();
    org.opentela.testing.Eventually.eventually("the body to be sent", java.time.Duration.ofSeconds(5),
        () -> assertEquals(List.of(ByteString.fromString("{\"model\":\"m\"}")), seen));
    Thread.sleep(200);
    assertFalse(done.isDone(), "the body stays open while the backend answers");
    hold.complete(ByteString.emptyByteString());
    done.get(5, TimeUnit.SECONDS);
    assertEquals(1, seen.size(), "the hold's value is not part of the body");
  }

  @Test
  void anExchangeThatEndsBeforeTheBodyIsReadStillDeliversTheBody() throws Exception {
    CompletableFuture<ByteString> hold = CompletableFuture.completedFuture(ByteString.emptyByteString());
    List<ByteString> all = Source.fromGraph(new HeldBody(ByteString.fromString("abc"), hold))
        .runWith(Sink.seq(), mat).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(List.of(ByteString.fromString("abc")), all);
  }

  @Test
  void anAbortedExchangeFailsTheBodyWhichClosesTheBackendConnection() throws Exception {
    CompletableFuture<ByteString> hold = new CompletableFuture<>();
    Pair<CompletableFuture<ByteString>, java.util.concurrent.CompletionStage<List<ByteString>>> p = Pair.create(hold,
        Source.fromGraph(new HeldBody(ByteString.fromString("abc"), hold)).toMat(Sink.seq(), Keep.right()).run(mat));
    IllegalStateException aborted = new IllegalStateException("aborted by the requester");
    hold.completeExceptionally(aborted);
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> p.second().toCompletableFuture().get(5, TimeUnit.SECONDS));
    assertSame(aborted, e.getCause());
  }
}
