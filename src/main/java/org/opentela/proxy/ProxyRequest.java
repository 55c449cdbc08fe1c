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
    long contentLength) implements CborSerializable {
  /** The chunk size of a streamed request body. */
  static final int CHUNK = 64 * 1024;

  /**
   * This request carrying {@code body}: inline when the target is in this JVM or the body fits one cluster
   * message ({@link ServiceProxy#INLINE_LIMIT}), else as a fresh stream ref of {@value #CHUNK}-byte chunks.
   * A stream ref is read once: make a new copy for each attempt.
   */
  public ProxyRequest withBody(ByteString body, boolean local, Materializer materializer) {
    if (local || body.size() <= ServiceProxy.INLINE_LIMIT) {
      return copy(body.toArrayUnsafe(), null);
    }
    List<ByteString> chunks = new ArrayList<>(body.size() / CHUNK + 1);
    for (int i = 0; i < body.size(); i += CHUNK) {
      chunks.add(body.slice(i, Math.min(body.size(), i + CHUNK)));
    }
    return copy(null, Source.from(chunks).runWith(StreamRefs.sourceRef(), materializer));
  }

  /** This request with other headers (name, value pairs). */
  public ProxyRequest withHeaders(List<String> newHeaders) {
    return new ProxyRequest(requestId, service, method, path, query, newHeaders, contentType, body, bodyRef,
        contentLength);
  }

  private ProxyRequest copy(byte[] inline, SourceRef<ByteString> ref) {
    return new ProxyRequest(requestId, service, method, path, query, headers, contentType, inline, ref, contentLength);
  }

  /** Where on the target node this goes, for logs: {@code llm:/v1/chat/completions} or {@code api:/v1/...}. */
  public String describe() {
    return (service == null ? "api" : service) + ":" + path;
  }
}
