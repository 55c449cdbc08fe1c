package org.opentela.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** How a request body travels: inline when it can, else as a stream ref of chunks. */
class ProxyRequestTest {
  private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
      "pekko.actor.provider = local").withFallback(ConfigFactory.load()));
  private static final Materializer mat = Materializer.matFromSystem(testKit.system());
  private static final ProxyRequest TEMPLATE = new ProxyRequest("r", "llm", "POST", "/v1/chat/completions", null,
      List.of(), "application/json", null, null, 0, 0);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static ByteString bytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return ByteString.fromArrayUnsafe(b);
  }

  @Test
  void aBodyThatFitsOneClusterMessageWithItsHeadersTravelsInline() {
    // 200 KiB, a long prompt's usual size, is one message (it was a stream of 4 chunks; issue 17).
    ByteString body = bytes(200 * 1024);
    ProxyRequest r = TEMPLATE.withBody(body, false, mat);
    assertArrayEquals(body.toArray(), r.body());
    assertNull(r.bodyRef());
    assertFalse(r.needsLargeLane(), "an ordinary message");
    ByteString edge = bytes(ProxyRequest.FRAME_BUDGET - TEMPLATE.metadataBytes());
    assertFalse(TEMPLATE.withBody(edge, false, mat).needsLargeLane());
    // Large headers count: the same body with 20,000 characters of headers does not fit an ordinary frame.
    ProxyRequest bigHeaders = TEMPLATE.withHeaders(List.of("X-Big", "b".repeat(20_000)));
    assertTrue(bigHeaders.withBody(edge, false, mat).needsLargeLane());
  }

  @Test
  void aBodyOfAFewMegabytesIsOneMessageForTheLargeMessageLane() {
    ByteString body = bytes(2 * 1024 * 1024);
    ProxyRequest r = TEMPLATE.withBody(body, false, mat);
    assertArrayEquals(body.toArray(), r.body());
    assertNull(r.bodyRef());
    assertTrue(r.needsLargeLane());
    ByteString edge = bytes(ProxyRequest.BULK_BUDGET - TEMPLATE.metadataBytes());
    assertNull(TEMPLATE.withBody(edge, false, mat).bodyRef());
    assertNotNull(TEMPLATE.withBody(bytes(ProxyRequest.BULK_BUDGET), false, mat).bodyRef(), "past it: a stream");
  }

  @Test
  void aBodyForThisJvmTravelsInlineWhateverItsSize() {
    ByteString body = bytes(ProxyRequest.FRAME_BUDGET * 3);
    ProxyRequest r = TEMPLATE.withBody(body, true, mat);
    assertArrayEquals(body.toArray(), r.body());
    assertNull(r.bodyRef());
  }

  @Test
  void aLargeBodyForAnotherNodeIsAStreamOfChunks() throws Exception {
    ByteString body = bytes(ProxyRequest.CHUNK * 40 + 5);
    ProxyRequest r = TEMPLATE.withBody(body, false, mat);
    assertNull(r.body());
    assertNotNull(r.bodyRef());
    List<ByteString> chunks = r.bodyRef().getSource().runWith(Sink.seq(), mat).toCompletableFuture().get();
    assertEquals(41, chunks.size(), "224 KiB chunks");
    assertEquals(ProxyRequest.CHUNK, chunks.get(0).size());
    assertEquals(body, chunks.stream().reduce(ByteString.emptyByteString(), ByteString::concat));
  }
}
