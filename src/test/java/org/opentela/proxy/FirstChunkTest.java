package org.opentela.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
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

/** {@link FirstChunk}: the first chunk of a stream taken out to travel with its headers, or left in. */
class FirstChunkTest {
  private static final ActorTestKit testKit = LocalTestKit.create();
  private static final Materializer mat = Materializer.matFromSystem(testKit.system());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static ByteString b(String s) {
    return ByteString.fromString(s);
  }

  /** The chunk taken out, and what the stream still delivers. */
  private static Pair<ByteString, List<String>> run(Source<ByteString, ?> source, Duration window, int max)
      throws Exception {
    Pair<CompletionStage<ByteString>, CompletionStage<List<ByteString>>> p = source
        .viaMat(new FirstChunk(window, max), Keep.right())
        .toMat(Sink.seq(), Keep.both())
        .run(mat);
    ByteString head = p.first().toCompletableFuture().get(10, TimeUnit.SECONDS);
    List<String> rest = p.second().toCompletableFuture().get(10, TimeUnit.SECONDS).stream()
        .map(ByteString::utf8String).toList();
    return Pair.create(head, rest);
  }

  @Test
  void aFirstChunkThatIsThereIsTakenOutAndTheRestPassesInOrder() throws Exception {
    var r = run(Source.from(List.of(b("a"), b("b"), b("c"))), Duration.ofSeconds(5), 1024);
    assertEquals("a", r.first().utf8String());
    assertEquals(List.of("b", "c"), r.second());
  }

  @Test
  void aFirstChunkLaterThanTheWindowStaysInTheStreamAndTheHeadersDoNotWaitForIt() throws Exception {
    long start = System.nanoTime();
    Pair<CompletionStage<ByteString>, CompletionStage<List<ByteString>>> p = Source.single(b("late"))
        .initialDelay(Duration.ofSeconds(2))
        .viaMat(new FirstChunk(Duration.ofMillis(20), 1024), Keep.right())
        .toMat(Sink.seq(), Keep.both())
        .run(mat);
    ByteString head = p.first().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertTrue(head.isEmpty());
    assertTrue(System.nanoTime() - start < Duration.ofMillis(1900).toNanos(), "decided at the window, not the chunk");
    assertEquals(List.of("late"), p.second().toCompletableFuture().get(10, TimeUnit.SECONDS).stream()
        .map(ByteString::utf8String).toList());
  }

  @Test
  void aFirstChunkTooLargeToGoInlineStaysInTheStream() throws Exception {
    var r = run(Source.from(List.of(b("abcdef"), b("g"))), Duration.ofSeconds(5), 4);
    assertTrue(r.first().isEmpty());
    assertEquals(List.of("abcdef", "g"), r.second());
  }

  @Test
  void anEmptyStreamHasNoHeadAndEnds() throws Exception {
    var r = run(Source.<ByteString>empty(), Duration.ofSeconds(5), 1024);
    assertTrue(r.first().isEmpty());
    assertEquals(List.of(), r.second());
  }

  @Test
  void aStreamThatFailsBeforeItsFirstChunkHasNoHeadAndFails() throws Exception {
    Pair<CompletionStage<ByteString>, CompletionStage<List<ByteString>>> p = Source.<ByteString>failed(
            new IllegalStateException("backend gone"))
        .viaMat(new FirstChunk(Duration.ofSeconds(5), 1024), Keep.right())
        .toMat(Sink.seq(), Keep.both())
        .run(mat);
    assertTrue(p.first().toCompletableFuture().get(10, TimeUnit.SECONDS).isEmpty());
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> p.second().toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertEquals("backend gone", e.getCause().getMessage());
  }

  @Test
  void aReaderThatCancelsEndsTheStreamAndTheHeadIsStillDecided() throws Exception {
    CompletionStage<ByteString> head = Source.<ByteString>maybe()
        .viaMat(new FirstChunk(Duration.ofSeconds(30), 1024), Keep.right())
        .to(Sink.cancelled())
        .run(mat);
    assertTrue(head.toCompletableFuture().get(10, TimeUnit.SECONDS).isEmpty());
  }
}
