package org.opentela.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.opentela.ApiError;
import org.opentela.auth.Access;
import org.opentela.auth.Caller;
import org.opentela.auth.Exchange;

/**
 * Who may call what, on the HTTP side of {@link Access}: the admin-only areas ({@code /metrics},
 * {@code /v1/dnt/*}, {@code /v1/admin/*}), and the responses for a refused caller: 401 with
 * {@code WWW-Authenticate}, 403, or 429 with {@code Retry-After} and OpenAI's rate-limit headers.
 */
final class Guard {
  private Guard() {}

  /** {@code inner} for the admin key only, once API keys are on; as it is when they are off. */
  static Route adminOnly(Access access, Supplier<Route> inner) {
    if (!access.enabled()) {
      return inner.get();
    }
    return extractRequest(req -> {
      Caller c = access.identify(authorization(req), source(req));
      if (c instanceof Caller.Admin) {
        return inner.get();
      }
      String requestId = RequestIds.of(req);
      return complete(c instanceof Caller.Refused r ? refused(r, requestId)
          : ApiErrors.response(adminRequired(req.method().value(), req.getUri().path(), access, null), requestId));
    });
  }

  static ApiError.Problem adminRequired(String method, String path, Access access, String service) {
    return ApiError.ADMIN_KEY_REQUIRED.with(method, path, service == null
        ? "/v1/service/<service>/..., /v1/_service/<service>/... and /v1/p2p/<peer>/v1/_service/<service>/..."
        : String.join(", ", access.clientPaths(service)));
  }

  static String authorization(HttpRequest req) {
    return req.getHeader("Authorization").map(HttpHeader::value).orElse(null);
  }

  /** The client's address as the connection shows it; never a header the client writes. */
  static String source(HttpRequest req) {
    return req.getAttribute(AttributeKeys.remoteAddress)
        .flatMap(a -> a.getAddress().map(java.net.InetAddress::getHostAddress)).orElse("unknown");
  }

  /** The response for a caller without a valid key. */
  static HttpResponse refused(Caller.Refused r, String requestId) {
    HttpResponse resp = ApiErrors.response(r.problem(), requestId);
    if (r.problem().error().status() == 401) {
      resp = resp.addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"otela\""));
    }
    return r.retryAfterSeconds() > 0
        ? resp.addHeader(RawHeader.create("Retry-After", Long.toString(r.retryAfterSeconds()))) : resp;
  }

  /** The response for a request its key's limits or model list refuse. */
  static HttpResponse refused(ApiError.Problem p, Exchange exchange, String requestId) {
    List<HttpHeader> h = rateHeaders(exchange);
    if (p.error().status() == 429) {
      h.add(RawHeader.create("Retry-After", Long.toString(exchange.retryAfterSeconds())));
    }
    return ApiErrors.response(p, requestId).addHeaders(h);
  }

  /** OpenAI's {@code x-ratelimit-*} headers for the key of {@code exchange} (none for a null exchange). */
  static List<HttpHeader> rateHeaders(Exchange exchange) {
    List<HttpHeader> out = new ArrayList<>();
    if (exchange != null) {
      List<String> pairs = exchange.rateHeaders();
      for (int i = 0; i + 1 < pairs.size(); i += 2) {
        out.add(RawHeader.create(pairs.get(i), pairs.get(i + 1)));
      }
    }
    return out;
  }
}
