package org.opentela.proxy;

import java.util.Objects;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.apache.pekko.util.ByteString;

/**
 * The bytes of a streamed reply, read the same way wherever they come from: a {@link SourceRef} when
 * the requester is on another node (what {@link ProxySerializer} sends), preceded by the first bytes
 * when they came with the headers ({@link #head}, see {@link FirstChunk}); the backend's own
 * {@link Source} when it is in this JVM (no stream ref in between). Read or {@linkplain #discard discard}
 * it once.
 */
public final class StreamBody {
  private final Source<ByteString, NotUsed> local;
  private final SourceRef<ByteString> ref;
  private final ByteString head;

  private StreamBody(Source<ByteString, NotUsed> local, SourceRef<ByteString> ref, ByteString head) {
    this.local = local;
    this.ref = ref;
    this.head = head;
  }

  /** {@code bytes} as they are for a requester in this JVM, else behind a fresh stream ref. */
  public static StreamBody of(Source<ByteString, NotUsed> bytes, boolean local, Materializer materializer) {
    Objects.requireNonNull(bytes, "bytes");
    return local ? new StreamBody(bytes, null, ByteString.emptyByteString())
        : remote(ByteString.emptyByteString(), bytes.runWith(StreamRefs.sourceRef(), materializer));
  }

  /** A body for another node: {@code head}, the bytes already read (may be empty), then the rest behind {@code ref}. */
  static StreamBody remote(ByteString head, SourceRef<ByteString> ref) {
    return new StreamBody(null, Objects.requireNonNull(ref, "ref"), Objects.requireNonNull(head, "head"));
  }

  /** The bytes, as they arrive. */
  public Source<ByteString, NotUsed> source() {
    if (ref == null) {
      return local;
    }
    // concat materializes the ref at once: its subscription starts while the head is written out.
    return head.isEmpty() ? ref.getSource() : Source.single(head).concat(ref.getSource());
  }

  /** The bytes that travel with the headers (empty for a body read in this JVM, or when none came in time). */
  ByteString head() {
    return head;
  }

  /** Frees the sender's stream without reading it (the sender sees a cancel). */
  public void discard(Materializer materializer) {
    source().runWith(Sink.cancelled(), materializer);
  }

  /** The stream ref to send over the cluster; a body for this JVM has none. */
  SourceRef<ByteString> ref() {
    if (ref == null) {
      throw new IllegalStateException("a stream body made for a requester in this JVM cannot cross the cluster");
    }
    return ref;
  }

  @Override
  public String toString() {
    return ref != null ? "StreamBody(remote, " + head.size() + " bytes inline)" : "StreamBody(local)";
  }
}
