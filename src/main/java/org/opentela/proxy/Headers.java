package org.opentela.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Which headers pass a proxy hop (RFC 9110 §7.6.1: hop-by-hop headers do not), and their wire form,
 * Content-Type included (Pekko keeps it apart from the other headers, on the entity).
 */
public final class Headers {
  /** Not passed on; the last two are otela's own between a node's proxy and its API ({@link LocalHops}). */
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
      "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
      "content-length", "content-type", "timeout-access", "expect", "x-otela-hops", "x-otela-hop-token");
  /** Set by each server itself, or by otela's CORS handling, on the way out. */
  private static final Set<String> RESPONSE_OWNED = Set.of("date", "server", "access-control-allow-origin",
      "access-control-allow-credentials", "access-control-allow-methods", "access-control-allow-headers",
      "access-control-expose-headers", "x-computing-node", "x-request-id");
  private static final BoundedCache<String, ContentType> CONTENT_TYPES = new BoundedCache<>(64, Headers::parse);

  private Headers() {}

  /** End-to-end request headers as name, value pairs. */
  public static List<String> requestHeaders(Iterable<HttpHeader> headers) {
    List<String> out = new ArrayList<>();
    for (HttpHeader h : headers) {
      if (!HOP_BY_HOP.contains(h.lowercaseName())) {
        out.add(h.name());
        out.add(h.value());
      }
    }
    return out;
  }

  /** End-to-end response headers as name, value pairs, minus those this server sets itself. */
  public static List<String> responseHeaders(Iterable<HttpHeader> headers) {
    List<String> out = new ArrayList<>();
    for (HttpHeader h : headers) {
      String n = h.lowercaseName();
      if (!HOP_BY_HOP.contains(n) && !RESPONSE_OWNED.contains(n)) {
        out.add(h.name());
        out.add(h.value());
      }
    }
    return out;
  }

  public static List<HttpHeader> toPekko(List<String> pairs) {
    List<HttpHeader> out = new ArrayList<>(pairs.size() / 2 + 2);
    for (int i = 0; i + 1 < pairs.size(); i += 2) {
      out.add(RawHeader.create(pairs.get(i), pairs.get(i + 1)));
    }
    return out;
  }

  /** The value of the first header named {@code name} (case-insensitive) in name, value pairs, or null. */
  public static String find(List<String> pairs, String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    for (int i = 0; i + 1 < pairs.size(); i += 2) {
      if (pairs.get(i).toLowerCase(Locale.ROOT).equals(lower)) {
        return pairs.get(i + 1);
      }
    }
    return null;
  }

  /** Removes every header named {@code name} (case-insensitive) from name, value pairs. */
  public static void remove(List<String> pairs, String name) {
    for (int i = pairs.size() - 2; i >= 0; i -= 2) {
      if (pairs.get(i).equalsIgnoreCase(name)) {
        pairs.remove(i + 1);
        pairs.remove(i);
      }
    }
  }

  /** Replaces every header named {@code name} (case-insensitive) in name, value pairs with one of {@code value}. */
  public static void set(List<String> pairs, String name, String value) {
    for (int i = pairs.size() - 2; i >= 0; i -= 2) {
      if (pairs.get(i).equalsIgnoreCase(name)) {
        pairs.remove(i + 1);
        pairs.remove(i);
      }
    }
    pairs.add(name);
    pairs.add(value);
  }

  /** The Content-Type of {@code entity} as text, or null when it has none. */
  public static String contentType(HttpEntity entity) {
    ContentType ct = entity.getContentType();
    return ct.equals(ContentTypes.NO_CONTENT_TYPE) ? null : ct.toString();
  }

  /** {@code value} parsed; application/octet-stream when it is null or does not parse. */
  public static ContentType parseContentType(String value) {
    return value == null ? ContentTypes.APPLICATION_OCTET_STREAM : CONTENT_TYPES.get(value);
  }

  private static ContentType parse(String value) {
    try {
      return ContentTypes.parse(value);
    } catch (RuntimeException e) {
      return ContentTypes.APPLICATION_OCTET_STREAM;
    }
  }

  /** Whether a body of this Content-Type (null: none) is a server-sent event stream. */
  public static boolean isEventStream(String contentType) {
    return contentType != null && contentType.regionMatches(true, 0, "text/event-stream", 0, 17);
  }
}
