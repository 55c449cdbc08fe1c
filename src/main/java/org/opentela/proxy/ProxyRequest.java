package org.opentela.proxy;

import java.util.List;
import org.apache.pekko.stream.SourceRef;
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

  public ProxyRequest withBody(byte[] inline, SourceRef<ByteString> ref) {
    return new ProxyRequest(requestId, service, method, path, query, headers, contentType, inline, ref, contentLength);
  }

  /** Where on the target node this goes, for logs: {@code llm:/v1/chat/completions} or {@code api:/v1/...}. */
  public String describe() {
    return (service == null ? "api" : service) + ":" + path;
  }
}
