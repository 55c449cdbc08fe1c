package org.opentela.proxy;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SourceRef;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamRefs;
import org.apache.pekko.util.ByteString;
import org.opentela.CborSerializable;

/**
 * An HTTP request on its way to a node's local service ({@code service} set) or to the node's own HTTP
 * API ({@code service} null). Crosses the cluster.
 *
 * @param path        starts with "/"; appended to the service's base URL
 * @param query       raw query string without "?", or null
 * @param headers     end-to-end request headers as name, value, name, value, ...
 * @param contentType null when the request has no body
 * @param body        the whole body when it is small (or the target is this JVM); else null
 * @param bodyRef     the body as a stream when it is too large for one cluster message; else null
 * @param contentLength the body's length in bytes
 * @param hops        for a request to a node's own API: how many {@code /v1/p2p/} hops it has made (set by
 *                    the nodes, never taken from a client; see {@link LocalHops})
 */
public record ProxyRequest(
    String requestId,
    String service,
    String method,
    String path,
    String query,
    List<String> headers,
    String contentType,
    byte[] body,
    SourceRef<ByteString> bodyRef,
    long contentLength,
    int hops) implements CborSerializable {
  /**
   * How large a request may be to cross the cluster as one ordinary message, and the size of a streamed
   * body's chunks: Artery's frames hold 256 KiB (pekko.remote.artery.advanced.maximum-frame-size), less room
   * for the envelope (recipient, sender, manifest) and a stream ref element's own few fields. Fewer, larger
   * messages are what a long prompt needs: 64 KiB chunks made a 2 MB body 32 messages, each serialized,
   * framed, deserialized and handed from stage to stage (bench/bodies, issue 17).
   */
  static final int FRAME_BUDGET = 224 * 1024;
  /** The chunk size of a streamed request body. */
  static final int CHUNK = FRAME_BUDGET;
  /**
   * How large a request may be to cross as one message on Artery's large-message lane
   * (maximum-large-frame-size, 8 MiB, less room for the envelope): see {@link ServiceProxy#BULK_NAME}.
   */
  static final int BULK_BUDGET = 8 * 1024 * 1024 - 32 * 1024;

  /**
   * This request carrying {@code body}: inline when the target is in this JVM or the whole request fits one
   * cluster message ({@link #BULK_BUDGET}, counting its headers), else as a fresh stream ref of
   * {@value #CHUNK}-byte chunks. A stream ref is read once: make a new copy for each attempt. An inline
   * request larger than an ordinary frame must be sent to the target's {@link ServiceProxy#bulk} entry
   * ({@link #needsLargeLane}).
   */
  public ProxyRequest withBody(ByteString body, boolean local, Materializer materializer) {
    if (local || body.size() + metadataBytes() <= BULK_BUDGET) {
      return copy(body.toArrayUnsafe(), null);
    }
    List<ByteString> chunks = new ArrayList<>(body.size() / CHUNK + 1);
    for (int i = 0; i < body.size(); i += CHUNK) {
      chunks.add(body.slice(i, Math.min(body.size(), i + CHUNK)));
    }
    return copy(null, Source.from(chunks).runWith(StreamRefs.sourceRef(), materializer));
  }

  /** Whether this request, sent to another node, is too large for an ordinary Artery frame. */
  public boolean needsLargeLane() {
    return body != null && (long) body.length + metadataBytes() > FRAME_BUDGET;
  }

  /** This request with other headers (name, value pairs). */
  public ProxyRequest withHeaders(List<String> newHeaders) {
    return new ProxyRequest(requestId, service, method, path, query, newHeaders, contentType, body, bodyRef,
        contentLength, hops);
  }

  /** This request with another body, given whole (before {@link #withBody} splits it for the cluster). */
  public ProxyRequest withContentLength(long length) {
    return new ProxyRequest(requestId, service, method, path, query, headers, contentType, body, bodyRef, length,
        hops);
  }

  /**
   * An upper bound of what this request's fields other than the body take in a {@code Forward} message
   * (strings at up to 3 UTF-8 bytes a character, each with a length), plus 2 KiB for the reply-to reference
   * and the fixed fields.
   */
  int metadataBytes() {
    long n = 2048;
    for (String h : headers) {
      n += 4 + 3L * h.length();
    }
    for (String s : new String[] {requestId, service, method, path, query, contentType}) {
      n += s == null ? 4 : 4 + 3L * s.length();
    }
    return (int) Math.min(Integer.MAX_VALUE, n);
  }

  private ProxyRequest copy(byte[] inline, SourceRef<ByteString> ref) {
    return new ProxyRequest(requestId, service, method, path, query, headers, contentType, inline, ref, contentLength,
        hops);
  }

  /** Where on the target node this goes, for logs: {@code llm:/v1/chat/completions} or {@code api:/v1/...}. */
  public String describe() {
    return (service == null ? "api" : service) + ":" + path;
  }
}
