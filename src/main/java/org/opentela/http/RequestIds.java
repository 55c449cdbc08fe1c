package org.opentela.http;

import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Every request has one id, in its {@code X-Request-Id} header from the moment it enters the routes: the
 * client's own when it is usable (1 to {@value #MAX_LENGTH} visible ASCII characters), else a new one that
 * replaces it. The backend, the logs, the response header and error bodies all carry that same id.
 */
public final class RequestIds {
  public static final String HEADER = "X-Request-Id";
  static final int MAX_LENGTH = 128;

  private RequestIds() {}

  /** {@code req} with a usable {@code X-Request-Id}: its own, or a new one instead of a missing or unusable one. */
  static HttpRequest ensure(HttpRequest req) {
    String own = req.getHeader(HEADER).map(h -> h.value()).orElse(null);
    if (own != null && usable(own)) {
      return req;
    }
    HttpRequest without = own == null ? req : req.removeHeader(HEADER);
    return without.addHeader(RawHeader.create(HEADER, generate()));
  }

  /** The request's id: its {@code X-Request-Id} when usable (always, after {@link #ensure}), else a new one. */
  public static String of(HttpRequest req) {
    return req.getHeader(HEADER).map(h -> h.value()).filter(RequestIds::usable).orElseGet(RequestIds::generate);
  }

  /** A new id: 16 hex digits. */
  public static String generate() {
    return Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
  }

  static boolean usable(String id) {
    if (id.isEmpty() || id.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }
}
