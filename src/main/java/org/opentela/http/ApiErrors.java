package org.opentela.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.List;
import java.util.TreeSet;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.UnacceptedResponseContentTypeRejection;
import org.opentela.ApiError;
import org.opentela.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Renders every error otela itself answers, an {@link ApiError} with its message, as OpenAI-shaped JSON:
 * {@code {"error":{"message","type","code","request_id"}}}. The request id is what a user quotes and what
 * the node's log lines carry. Nothing else builds error bodies.
 */
public final class ApiErrors {
  private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

  /** The JSON body. */
  public record ErrorBody(Detail error) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Detail(String message, String type, String code, String request_id) {}

  private ApiErrors() {}

  /** The response for {@code p} to request {@code requestId}, with the catalogue's status. */
  public static HttpResponse response(ApiError.Problem p, String requestId) {
    return HttpResponse.create().withStatus(ProxyResponses.status(p.error().status()))
        .withEntity(ContentTypes.APPLICATION_JSON, body(p, requestId))
        .addHeader(RawHeader.create(RequestIds.HEADER, requestId));
  }

  /** The JSON bytes of {@code p}, for callers that send it their own way (an SSE error event, a raw response). */
  public static byte[] body(ApiError.Problem p, String requestId) {
    try {
      return Json.MAPPER.writeValueAsBytes(new ErrorBody(new Detail(p.message(), p.error().type(), p.error().code(),
          requestId)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the error " + p.error(), e);
    }
  }

  /**
   * Exceptions that escape a route are bugs or faults: logged with the throwable and the request id, answered
   * 500 with that id and nothing of the exception (its class and message are internals).
   */
  public static ExceptionHandler exceptionHandler() {
    return EXCEPTIONS;
  }

  private static final ExceptionHandler EXCEPTIONS = ExceptionHandler.newBuilder()
        .matchAny(e -> Directives.extractRequest(req -> {
          String id = RequestIds.of(req);
          log.error("request {}: unhandled error in an HTTP route", id, e);
          return Directives.complete(response(ApiError.INTERNAL_ERROR.with(id), id));
        }))
        .build();

  private static Route notAcceptable(List<UnacceptedResponseContentTypeRejection> rejections) {
    TreeSet<String> types = new TreeSet<>();
    rejections.forEach(r -> CollectionConverters.asJava(r.supported()).forEach(a -> types.add(a.format())));
    return completeWith(ApiError.NOT_ACCEPTABLE.with(String.join(", ", types)));
  }

  private static Route completeWith(ApiError.Problem p) {
    return Directives.extractRequest(req -> Directives.complete(response(p, RequestIds.of(req))));
  }

  /**
   * Rejections (no route, wrong method, an Accept header the endpoint cannot satisfy) become JSON errors
   * instead of Pekko's plain text; any other rejection is a 400 with Pekko's own explanation. One handler for
   * every request: each request's id is read from the request when a rejection is answered (building a
   * handler per request was 3 % of a head's CPU, bench/jfr-top).
   */
  public static RejectionHandler rejectionHandler() {
    return REJECTIONS;
  }

  private static final RejectionHandler REJECTIONS = RejectionHandler.newBuilder()
      .handleAll(MethodRejection.class, rs -> Directives.extractRequest(req -> Directives.complete(response(
          ApiError.METHOD_NOT_ALLOWED.with(req.method().value(), req.getUri().path()), RequestIds.of(req)))))
      .handleAll(UnacceptedResponseContentTypeRejection.class, ApiErrors::notAcceptable)
      .handleNotFound(Directives.extractRequest(req -> Directives.complete(response(
          ApiError.NOT_FOUND.with(req.method().value(), req.getUri().path()), RequestIds.of(req)))))
      // Anything else: Pekko's default answer, its text in an OpenAI-shaped body.
      .handleAll(Rejection.class, rs -> Directives.extractRequest(req -> Directives.mapResponse(
          resp -> asJson(resp, RequestIds.of(req)),
          () -> Directives.handleRejections(RejectionHandler.defaultHandler(),
              () -> Directives.reject(rs.get(0), rs.subList(1, rs.size()).toArray(Rejection[]::new))))))
      .build();

  private static HttpResponse asJson(HttpResponse resp, String requestId) {
    if (resp.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
      return resp;
    }
    String text = resp.entity() instanceof HttpEntity.Strict strict
        ? strict.getData().utf8String() : resp.status().reason();
    return response(ApiError.INVALID_REQUEST.with(text), requestId);
  }
}
