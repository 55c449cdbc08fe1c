package org.opentela.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithDefaultHeaders;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.opentela.ApiError;

/**
 * Cross-origin access for browsers, from {@code --http.cors_origins}. {@code *} lets any page call the API
 * without credentials ({@code Access-Control-Allow-Origin: *}, never with
 * {@code Access-Control-Allow-Credentials}, so a browser refuses to send cookies or HTTP auth along). A
 * listed origin is echoed and may send credentials. When the list has no {@code *}, a request from any
 * other origin (a browser's preflight or the request itself) is refused with 403 before it does any work;
 * requests without {@code Origin} (every non-browser client) and same-origin ones are unaffected.
 */
public final class Cors {
  private static final Pattern ORIGIN = Pattern.compile("https?://[A-Za-z0-9.\\-\\[\\]:]+");
  private static final String ALLOW_HEADERS = "authorization, origin, content-type, accept, x-request-id,"
      + " x-otela-fallback, x-otela-identity-group, openai-organization, openai-project,"
      + " traceparent, tracestate";
  private static final String ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
  private static final String EXPOSE_HEADERS = "x-computing-node, x-request-id, retry-after,"
      + " x-ratelimit-limit-requests, x-ratelimit-remaining-requests, x-ratelimit-reset-requests,"
      + " x-ratelimit-limit-tokens, x-ratelimit-remaining-tokens, x-ratelimit-reset-tokens";

  private final boolean anyOrigin;
  private final Set<String> listed;

  public Cors(List<String> origins) {
    this.anyOrigin = origins.contains("*");
    this.listed = Set.copyOf(origins.stream().filter(o -> !o.equals("*")).map(Cors::normalize).toList());
  }

  /** Whether {@code value} is an origin as browsers send it: scheme, host and optional port. */
  static boolean isOrigin(String value) {
    return ORIGIN.matcher(normalize(value)).matches();
  }

  private static String normalize(String origin) {
    String o = origin.trim();
    return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
  }

  /**
   * {@code inner} with the CORS headers {@code req}'s origin gets; a preflight answered here (it never
   * reaches a backend); a request from an origin that is not allowed answered 403.
   */
  Route handle(HttpRequest req, String requestId, Supplier<Route> inner) {
    String origin = req.getHeader("Origin").map(h -> h.value()).orElse(null);
    boolean preflight = req.method().equals(HttpMethods.OPTIONS);
    if (origin == null) {
      return preflight ? complete(StatusCodes.OK) : inner.get();
    }
    boolean echoed = listed.contains(normalize(origin));
    if (!echoed && !anyOrigin && !sameOrigin(req, origin)) {
      return complete(ApiErrors.response(ApiError.CORS_ORIGIN_NOT_ALLOWED.with(origin), requestId));
    }
    List<HttpHeader> h = new ArrayList<>(6);
    if (echoed) {
      h.add(RawHeader.create("Access-Control-Allow-Origin", origin));
      h.add(RawHeader.create("Access-Control-Allow-Credentials", "true"));
    } else if (anyOrigin) {
      h.add(RawHeader.create("Access-Control-Allow-Origin", "*"));
    }
    if (!listed.isEmpty()) {
      h.add(RawHeader.create("Vary", "Origin"));
    }
    h.add(RawHeader.create("Access-Control-Allow-Methods", ALLOW_METHODS));
    h.add(RawHeader.create("Access-Control-Allow-Headers",
        req.getHeader("Access-Control-Request-Headers").map(x -> x.value()).orElse(ALLOW_HEADERS)));
    h.add(RawHeader.create("Access-Control-Expose-Headers", EXPOSE_HEADERS));
    return respondWithDefaultHeaders(h, () -> preflight ? complete(StatusCodes.OK) : inner.get());
  }

  /** A page served by this node itself: its origin names the host the request was sent to. */
  private static boolean sameOrigin(HttpRequest req, String origin) {
    String host = req.getHeader("Host").map(h -> h.value()).orElse(null);
    return host != null && (origin.equals("http://" + host) || origin.equals("https://" + host));
  }
}
