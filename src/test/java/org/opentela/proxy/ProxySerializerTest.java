package org.opentela.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class ProxySerializerTest {
  private static final ActorTestKit testKit = ActorTestKit.create(
      ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static Object roundTrip(Object o) {
    Serialization s = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    var serializer = s.findSerializerFor(o);
    assertEquals(ProxySerializer.IDENTIFIER, serializer.identifier(), "bound to the proxy serializer");
    byte[] bytes = s.serialize(o).get();
    return s.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, o)).get();
  }

  @Test
  void forwardKeepsEveryFieldIncludingNullsAndTheReplyTo() {
    TestProbe<ProxyReply> probe = testKit.createTestProbe();
    ProxyRequest r = new ProxyRequest("req-1", "llm", "POST", "/v1/chat/completions", "a=1&b=é",
        List.of("Authorization", "Bearer x", "X-Request-Id", "req-1"), "application/json",
        "{\"model\":\"m\"}".getBytes(), null, 13, 0);
    var back = (ServiceProxy.Forward) roundTrip(new ServiceProxy.Forward(42, r, probe.ref()));
    assertEquals(42, back.attemptId());
    assertEquals(probe.ref(), back.replyTo());
    ProxyRequest b = back.request();
    assertEquals(List.of(r.requestId(), r.service(), r.method(), r.path(), r.query(), r.headers(), r.contentType()),
        List.of(b.requestId(), b.service(), b.method(), b.path(), b.query(), b.headers(), b.contentType()));
    assertArrayEquals(r.body(), b.body());
    assertNull(b.bodyRef());
    assertEquals(13, b.contentLength());

    ProxyRequest api = new ProxyRequest("req-2", null, "GET", "/v1/health", null, List.of(), null, null, null, 0, 3);
    ProxyRequest a = ((ServiceProxy.Forward) roundTrip(new ServiceProxy.Forward(1, api, probe.ref()))).request();
    assertNull(a.service());
    assertNull(a.query());
    assertNull(a.contentType());
    assertNull(a.body());
    assertEquals(3, a.hops(), "the hop count of a request to a node's API crosses the cluster");
  }

  @Test
  void repliesRoundTrip() {
    var c = (ProxyReply.Complete) roundTrip(new ProxyReply.Complete(7, 200, List.of("X-A", "1"), "application/json",
        "{}".getBytes()));
    assertEquals(List.of(7L, 200, List.of("X-A", "1"), "application/json"),
        List.of(c.attemptId(), c.status(), c.headers(), c.contentType()));
    assertArrayEquals("{}".getBytes(), c.body());

    var f = (ProxyReply.Failed) roundTrip(new ProxyReply.Failed(8, Outcome.BACKEND_UNREACHABLE, "refused"));
    assertEquals(List.of(8L, Outcome.BACKEND_UNREACHABLE, "refused"), List.of(f.attemptId(), f.outcome(), f.message()));

    StreamBody body = StreamBody.of(Source.single(ByteString.fromString("data: x\n\n")), false,
        Materializer.matFromSystem(testKit.system()));
    Object s = roundTrip(new ProxyReply.Streamed(9, 200, List.of("X-B", "2"), "text/event-stream", -1, body));
    var back = assertInstanceOf(ProxyReply.Streamed.class, s);
    assertEquals(List.of(9L, 200, List.of("X-B", "2"), "text/event-stream", -1L),
        List.of(back.attemptId(), back.status(), back.headers(), back.contentType(), back.contentLength()));
    ByteString bytes = back.body().source().runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat),
        testKit.system()).toCompletableFuture().join();
    assertEquals("data: x\n\n", bytes.utf8String(), "the stream ref still delivers the bytes");
  }

  @Test
  void aStreamedReplyCarriesItsFirstBytesInlineUnderItsOwnManifest() {
    var mat = Materializer.matFromSystem(testKit.system());
    var ref = Source.single(ByteString.fromString("data: 2\n\n")).runWith(
        org.apache.pekko.stream.javadsl.StreamRefs.sourceRef(), mat);
    var reply = new ProxyReply.Streamed(9, 200, List.of(), "text/event-stream", -1,
        StreamBody.remote(ByteString.fromString("data: 1\n\n"), ref), 1234);
    Serialization s = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    // An older reader does not know "H" and refuses it (with its version hint) rather than lose the first bytes.
    assertEquals("H", Serializers.manifestFor(s.findSerializerFor(reply), reply));
    var back = assertInstanceOf(ProxyReply.Streamed.class, roundTrip(reply));
    assertEquals(1234, back.backendNanos());
    assertEquals("data: 1\n\n", back.body().head().utf8String());
    ByteString bytes = back.body().source().runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat),
        testKit.system()).toCompletableFuture().join();
    assertEquals("data: 1\n\ndata: 2\n\n", bytes.utf8String(), "the inline head, then the ref's bytes");
  }

  @Test
  void aStreamMadeForThisJvmRefusesToCrossTheCluster() {
    StreamBody local = StreamBody.of(Source.single(ByteString.fromString("x")), true,
        Materializer.matFromSystem(testKit.system()));
    ProxySerializer ser = new ProxySerializer((org.apache.pekko.actor.ExtendedActorSystem) Adapter.toClassic(testKit.system()));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> ser.toBinary(new ProxyReply.Streamed(1, 200, List.of(), null, -1, local)));
    assertTrue(e.getMessage().contains("cannot cross the cluster"), e.getMessage());
  }

  @Test
  void writesIntoAByteBufferAsArteryDoes() {
    ProxySerializer ser = new ProxySerializer((org.apache.pekko.actor.ExtendedActorSystem) Adapter.toClassic(testKit.system()));
    ByteBuffer buf = ByteBuffer.allocateDirect(4096);
    ser.toBinary(new ProxyReply.Complete(3, 502, List.of(), null, new byte[0]), buf);
    buf.flip();
    var c = (ProxyReply.Complete) ser.fromBinary(buf, "C");
    assertEquals(502, c.status());
    assertNull(c.contentType());
  }
}
