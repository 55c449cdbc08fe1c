package org.opentela.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A stream that breaks: the client gets one error event in plain words, and none after {@code [DONE]}
 * (issue 13, item 1: Ctrl-C on the demo sent "Saw RemoteStreamCompleted(47) while in state
 * UpstreamTerminated(...), should never happen" after the answer's end).
 */
class ProxyResponsesTest {
  private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
      "pekko.actor.provider = local").withFallback(ConfigFactory.load()));
  private static final String INTERNAL =
      "Saw RemoteStreamCompleted(47) while in state UpstreamTerminated(Actor[...]), should never happen";

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static String read(Source<ByteString, NotUsed> body) throws Exception {
    return ProxyResponses.endedPlainly(body, "req-1")
        .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), testKit.system())
        .toCompletableFuture().get(10, TimeUnit.SECONDS).utf8String();
  }

  private static Source<ByteString, NotUsed> events(List<String> events, boolean thenFail) {
    Source<ByteString, NotUsed> s = Source.from(events).map(e -> ByteString.fromString("data: " + e + "\n\n"));
    // The failure comes when pulled, after the events (a Source.failed would fail the stream at once).
    return thenFail ? s.concat(Source.single(ByteString.emptyByteString()).map(x -> {
      throw new IllegalStateException(INTERNAL);
    })) : s;
  }

  @Test
  void aFailureAfterDoneSendsNothingMore() throws Exception {
    String body = read(events(List.of("{\"choices\":[]}", "[DONE]"), true));
    assertTrue(body.endsWith("data: [DONE]\n\n"), body);
    assertFalse(body.contains("error"), body);
  }

  @Test
  void aFailureBeforeDoneIsOneErrorEventInPlainWords() throws Exception {
    String body = read(events(List.of("{\"choices\":[]}"), true));
    assertTrue(body.contains("\"code\":\"stream_interrupted\""), body);
    assertTrue(body.contains("the worker stopped sending before the response was complete; retry the request"), body);
    assertFalse(body.contains("RemoteStreamCompleted") || body.contains("should never happen"), body);
    assertEquals(2, body.split("\n\n").length, "the chunk and one error event: " + body);
  }

  @Test
  void aStreamThatEndsWellIsPassedAsIs() throws Exception {
    assertEquals("data: a\n\ndata: [DONE]\n\n", read(events(List.of("a", "[DONE]"), false)));
  }
}
