package org.opentela.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.UnsupportedRequestContentTypeRejection;
import org.apache.pekko.http.javadsl.server.Directives;
import org.opentela.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every error otela itself answers, as OpenAI-shaped JSON: {@code {"error":{"message","type","code"}}}.
 * User errors are 4xx with a message that says what to do; faults are 5xx. Nothing else builds error bodies.
 */
public final class ApiErrors {
  private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

  /** The JSON body. */
  public record ErrorBody(Detail error) {}

  public record Detail(String message, String type, String code) {}

  private ApiErrors() {}

  public static HttpResponse of(StatusCode status, String code, String message) {
    String type = status.intValue() < 500 ? "invalid_request_error" : "server_error";
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body(message, type, code));
  }

  /** The JSON bytes of an error, for callers that build their own response (e.g. an SSE error event). */
  public static byte[] body(String message, String type, String code) {
    try {
      return Json.MAPPER.writeValueAsBytes(new ErrorBody(new Detail(message, type, code)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render an error body", e);
    }
  }

  public static HttpResponse badRequest(String code, String message) {
    return of(StatusCodes.BAD_REQUEST, code, message);
  }

  public static HttpResponse notFound(String code, String message) {
    return of(StatusCodes.NOT_FOUND, code, message);
  }

  /** Exceptions that escape a route are bugs or faults: logged with the throwable, answered 500. */
  public static ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder()
        .matchAny(e -> {
          log.error("Unhandled error in an HTTP route", e);
          return Directives.complete(of(StatusCodes.INTERNAL_SERVER_ERROR, "internal_error",
              "otela failed to handle this request (" + e.getClass().getSimpleName() + "); see the node's log"));
        })
        .build();
  }

  /** Rejections (no route, wrong method, bad body) become JSON errors instead of Pekko's plain text. */
  public static RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handle(MalformedRequestContentRejection.class, r ->
            Directives.complete(badRequest("invalid_json", "The request body is not valid: " + r.message())))
        .handle(UnsupportedRequestContentTypeRejection.class, r ->
            Directives.complete(of(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                "Unsupported Content-Type; send application/json")))
        .handleAll(MethodRejection.class, rs -> Directives.extractRequest(req ->
            Directives.complete(of(StatusCodes.METHOD_NOT_ALLOWED, "method_not_allowed",
                req.method().value() + " is not allowed on " + req.getUri().path()))))
        .handleNotFound(Directives.extractRequest(req ->
            Directives.complete(notFound("not_found", "No endpoint " + req.method().value() + " "
                + req.getUri().path() + ". OpenAI requests go to /v1/service/<service>/v1/...,"
                + " e.g. /v1/service/llm/v1/chat/completions; the node table is at /v1/dnt/table"))))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(resp -> {
          if (resp.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
            return resp;
          }
          String text = resp.entity() instanceof org.apache.pekko.http.javadsl.model.HttpEntity.Strict strict
              ? strict.getData().utf8String() : resp.status().reason();
          return of(resp.status(), "invalid_request", text);
        });
  }
}
