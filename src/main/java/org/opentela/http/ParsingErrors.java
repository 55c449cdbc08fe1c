package org.opentela.http;

import java.time.Duration;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;
import org.opentela.ApiError;
import org.opentela.LogText;
import org.opentela.RateLimitedLog;
import org.slf4j.LoggerFactory;

/**
 * Answers the requests Pekko's parser rejects before any route runs (a malformed request line or header,
 * a URI or headers too long, an unknown method or transfer encoding, HTTP/2 or /0.9) with an entry of the
 * catalogue, as OpenAI-shaped JSON with a request id, instead of Pekko's plain text; and logs them at most
 * once per kind every 10 s, escaped. Named in application.conf ({@code pekko.http.server.parsing.error-handler}).
 */
public final class ParsingErrors extends ParsingErrorHandler {
  private static final RateLimitedLog warnings =
      new RateLimitedLog(LoggerFactory.getLogger(ParsingErrors.class), Duration.ofSeconds(10));

  @Override
  public org.apache.pekko.http.javadsl.model.HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log,
      ServerSettings settings) {
    ApiError.Problem p = problem(status.intValue(), info.summary(), settings.parserSettings().maxUriLength());
    String id = RequestIds.generate();
    warnings.warn("parse-" + status.intValue(), "Rejected a malformed request with " + p.error().status() + " "
        + p.error().code() + ": " + LogText.of(info.summary()) + " (request id " + id + ")");
    return ApiErrors.response(p, id);
  }

  static ApiError.Problem problem(int status, String summary, int maxUriLength) {
    switch (status) {
      case 414:
        return ApiError.URI_TOO_LONG.with(maxUriLength);
      case 431:
        return ApiError.HEADERS_TOO_LARGE.with(summary);
      case 501:
        return ApiError.NOT_IMPLEMENTED.with(summary);
      case 505:
        return ApiError.HTTP_VERSION_NOT_SUPPORTED.with(summary.isEmpty() ? "another protocol was requested" : summary);
      default:
        return ApiError.INVALID_REQUEST.with(summary);
    }
  }
}
