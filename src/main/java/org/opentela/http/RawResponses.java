package org.opentela.http;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.opentela.ApiError;

/**
 * An error written straight to a connection, outside Pekko's HTTP layer, as HTTP/1.1 bytes that close the
 * connection: for a connection refused at a limit, or a client too slow to send its headers.
 */
final class RawResponses {
  private RawResponses() {}

  static ByteString closing(ApiError.Problem p, String requestId) {
    byte[] body = ApiErrors.body(p, requestId);
    String head = "HTTP/1.1 " + p.error().status() + " " + ProxyResponses.status(p.error().status()).reason() + "\r\n"
        + "Content-Type: application/json\r\n"
        + "Content-Length: " + body.length + "\r\n"
        + RequestIds.HEADER + ": " + requestId + "\r\n"
        + "Connection: close\r\n\r\n";
    return ByteString.fromString(head, StandardCharsets.US_ASCII).concat(ByteString.fromArrayUnsafe(body));
  }
}
