package org.opentela.proxy;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.ByteBufferSerializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.StreamRefResolver;
import org.apache.pekko.util.ByteString;

/**
 * The wire format of the request path's cluster messages ({@link ServiceProxy.Forward},
 * {@link ServiceProxy.Abort} and the {@link ProxyReply} kinds that cross the cluster): fields written in order, strings as UTF-8 with a
 * length, written straight into Artery's buffer. Bound in application.conf, ahead of Jackson CBOR.
 *
 * <p>Fields added later go at the end of a message and are read only if present, so nodes of the same
 * major.minor version but different patch versions understand each other: {@code backendNanos} of the
 * replies is such a field (an older reader ignores it; a newer one reads -1 from an older writer).
 *
 * <p>Why not Jackson: with CBOR, reflection-driven record (de)serialization was about a tenth of the CPU
 * of the head and of the worker per proxied request (JFR, bench/run). Reply-to references are resolved
 * through a small cache: a worker sees the same few routers' references over and over.
 */
public final class ProxySerializer extends SerializerWithStringManifest implements ByteBufferSerializer {
  /** Unique among the serializers of the actor system (Pekko reserves 0-40). */
  public static final int IDENTIFIER = 7301;
  private static final String FORWARD = "F";
  private static final String COMPLETE = "C";
  private static final String FAILED = "X";
  private static final String STREAMED = "S";
  /** A {@link ProxyReply.Streamed} whose first bytes travel inline: an older reader refuses it instead of losing them. */
  private static final String STREAMED_WITH_HEAD = "H";
  private static final String ABORT = "A";
  private static final int CACHE_LIMIT = 1024;
  private static final Outcome[] OUTCOMES = Outcome.values();

  private final ExtendedActorSystem system;
  private volatile ActorRefResolver refs;
  private volatile StreamRefResolver streamRefs;
  private final BoundedCache<ActorRef<?>, String> refToString =
      new BoundedCache<>(CACHE_LIMIT, r -> refs().toSerializationFormat(r));
  private final BoundedCache<String, ActorRef<?>> stringToRef =
      new BoundedCache<>(CACHE_LIMIT, s -> refs().resolveActorRef(s));

  public ProxySerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof ServiceProxy.Forward) {
      return FORWARD;
    } else if (o instanceof ProxyReply.Complete) {
      return COMPLETE;
    } else if (o instanceof ProxyReply.Failed) {
      return FAILED;
    } else if (o instanceof ProxyReply.Streamed s) {
      return s.body().head().isEmpty() ? STREAMED : STREAMED_WITH_HEAD;
    } else if (o instanceof ServiceProxy.Abort) {
      return ABORT;
    }
    throw new IllegalArgumentException("ProxySerializer cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    int size = 1024;
    while (true) {
      ByteBuffer buf = ByteBuffer.allocate(size);
      try {
        toBinary(o, buf);
        byte[] out = new byte[buf.position()];
        System.arraycopy(buf.array(), 0, out, 0, out.length);
        return out;
      } catch (BufferOverflowException e) {
        size *= 4;
      }
    }
  }

  @Override
  public void toBinary(Object o, ByteBuffer buf) {
    if (o instanceof ServiceProxy.Forward f) {
      buf.putLong(f.attemptId());
      putString(buf, refString(f.replyTo()));
      ProxyRequest r = f.request();
      putString(buf, r.requestId());
      putString(buf, r.service());
      putString(buf, r.method());
      putString(buf, r.path());
      putString(buf, r.query());
      putStrings(buf, r.headers());
      putString(buf, r.contentType());
      putBytes(buf, r.body());
      putString(buf, r.bodyRef() == null ? null : streamRefs().toSerializationFormat(r.bodyRef()));
      buf.putLong(r.contentLength());
      buf.putInt(r.hops());
    } else if (o instanceof ProxyReply.Complete c) {
      buf.putLong(c.attemptId());
      buf.putInt(c.status());
      putStrings(buf, c.headers());
      putString(buf, c.contentType());
      putBytes(buf, c.body());
      buf.putLong(c.backendNanos()); // since 0.1 (trailing, optional)
    } else if (o instanceof ProxyReply.Failed f) {
      buf.putLong(f.attemptId());
      buf.putInt(f.outcome().ordinal());
      putString(buf, f.message());
    } else if (o instanceof ProxyReply.Streamed s) {
      buf.putLong(s.attemptId());
      buf.putInt(s.status());
      putStrings(buf, s.headers());
      putString(buf, s.contentType());
      buf.putLong(s.contentLength());
      putString(buf, streamRefs().toSerializationFormat(s.body().ref()));
      buf.putLong(s.backendNanos()); // since 0.1 (trailing, optional)
      ByteString head = s.body().head();
      if (!head.isEmpty()) { // manifest H
        putBytes(buf, head.toArrayUnsafe());
      }
    } else if (o instanceof ServiceProxy.Abort a) {
      buf.putLong(a.attemptId());
      putString(buf, refString(a.replyTo()));
    } else {
      throw new IllegalArgumentException("ProxySerializer cannot serialize " + o.getClass());
    }
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) {
    return fromBinary(ByteBuffer.wrap(bytes), manifest);
  }

  @Override
  public Object fromBinary(ByteBuffer buf, String manifest) {
    switch (manifest) {
      case FORWARD: {
        long attemptId = buf.getLong();
        ActorRef<ProxyReply> replyTo = resolve(getString(buf));
        String requestId = getString(buf);
        String service = getString(buf);
        String method = getString(buf);
        String path = getString(buf);
        String query = getString(buf);
        List<String> headers = getStrings(buf);
        String contentType = getString(buf);
        byte[] body = getBytes(buf);
        String bodyRef = getString(buf);
        long contentLength = buf.getLong();
        int hops = buf.getInt();
        SourceRef<ByteString> ref = bodyRef == null ? null : streamRefs().resolveSourceRef(bodyRef);
        return new ServiceProxy.Forward(attemptId, new ProxyRequest(requestId, service, method, path, query, headers,
            contentType, body, ref, contentLength, hops), replyTo);
      }
      case COMPLETE: {
        long attemptId = buf.getLong();
        int status = buf.getInt();
        List<String> headers = getStrings(buf);
        String contentType = getString(buf);
        byte[] body = getBytes(buf);
        return new ProxyReply.Complete(attemptId, status, headers, contentType, body, optionalLong(buf));
      }
      case FAILED: {
        long attemptId = buf.getLong();
        int outcome = buf.getInt();
        return new ProxyReply.Failed(attemptId, outcome >= 0 && outcome < OUTCOMES.length ? OUTCOMES[outcome]
            : Outcome.PROXY_ERROR, getString(buf));
      }
      case STREAMED:
      case STREAMED_WITH_HEAD: {
        long attemptId = buf.getLong();
        int status = buf.getInt();
        List<String> headers = getStrings(buf);
        String contentType = getString(buf);
        long length = buf.getLong();
        SourceRef<ByteString> body = streamRefs().resolveSourceRef(getString(buf));
        long backendNanos = optionalLong(buf);
        ByteString head = manifest.equals(STREAMED_WITH_HEAD) ? ByteString.fromArrayUnsafe(getBytes(buf))
            : ByteString.emptyByteString();
        return new ProxyReply.Streamed(attemptId, status, headers, contentType, length, StreamBody.remote(head, body),
            backendNanos);
      }
      case ABORT: {
        long attemptId = buf.getLong();
        return new ServiceProxy.Abort(attemptId, resolve(getString(buf)));
      }
      default:
        throw new IllegalArgumentException("ProxySerializer: unknown manifest '" + manifest
            + "' (expected: F, C, X, S, H or A); are both nodes the same otela version?");
    }
  }

  private String refString(ActorRef<?> ref) {
    return refToString.get(ref);
  }

  @SuppressWarnings("unchecked")
  private <T> ActorRef<T> resolve(String s) {
    return (ActorRef<T>) stringToRef.get(s);
  }

  private ActorRefResolver refs() {
    ActorRefResolver r = refs;
    if (r == null) {
      r = ActorRefResolver.get(Adapter.toTyped(system));
      refs = r;
    }
    return r;
  }

  private StreamRefResolver streamRefs() {
    StreamRefResolver r = streamRefs;
    if (r == null) {
      r = StreamRefResolver.get(system);
      streamRefs = r;
    }
    return r;
  }

  private static void putString(ByteBuffer buf, String s) {
    if (s == null) {
      buf.putInt(-1);
      return;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    buf.putInt(b.length);
    buf.put(b);
  }

  private static String getString(ByteBuffer buf) {
    int n = buf.getInt();
    if (n < 0) {
      return null;
    }
    String s;
    if (buf.hasArray()) {
      s = new String(buf.array(), buf.arrayOffset() + buf.position(), n, StandardCharsets.UTF_8);
      buf.position(buf.position() + n);
    } else {
      byte[] b = new byte[n];
      buf.get(b);
      s = new String(b, StandardCharsets.UTF_8);
    }
    return s;
  }

  /** A trailing field an older writer did not write: -1 then. */
  private static long optionalLong(ByteBuffer buf) {
    return buf.remaining() >= Long.BYTES ? buf.getLong() : -1;
  }

  private static void putBytes(ByteBuffer buf, byte[] b) {
    if (b == null) {
      buf.putInt(-1);
      return;
    }
    buf.putInt(b.length);
    buf.put(b);
  }

  private static byte[] getBytes(ByteBuffer buf) {
    int n = buf.getInt();
    if (n < 0) {
      return null;
    }
    byte[] b = new byte[n];
    buf.get(b);
    return b;
  }

  private static void putStrings(ByteBuffer buf, List<String> xs) {
    if (xs == null) {
      buf.putInt(-1);
      return;
    }
    buf.putInt(xs.size());
    for (String x : xs) {
      putString(buf, x);
    }
  }

  private static List<String> getStrings(ByteBuffer buf) {
    int n = buf.getInt();
    if (n < 0) {
      return null;
    }
    List<String> xs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      xs.add(getString(buf));
    }
    return xs;
  }
}
