package org.opentela.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.List;
import java.util.TreeSet;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MethodRejection;
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
 * {@code {"error":{"message","type","code"}}}. Nothing else builds error bodies.
 */
public final class ApiErrors {
  private static final Logger log = LoggerFactory.getLogger(ApiErrors.class);

  /** The JSON body. */
  public record ErrorBody(Detail error) {}

  public record Detail(String message, String type, String code) {}

  private ApiErrors() {}

  /** The response for {@code p}, with the catalogue's status. */
  public static HttpResponse response(ApiError.Problem p) {
    return HttpResponse.create().withStatus(ProxyResponses.status(p.error().status()))
        .withEntity(ContentTypes.APPLICATION_JSON, body(p));
  }

  /** The JSON bytes of {@code p}, for callers that send it their own way (an SSE error event). */
  public static byte[] body(ApiError.Problem p) {
    try {
      return Json.MAPPER.writeValueAsBytes(new ErrorBody(new Detail(p.message(), p.error().type(), p.error().code())));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the error " + p.error(), e);
    }
  }

  /** Exceptions that escape a route are bugs or faults: logged with the throwable, answered 500. */
  public static ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder()
        .matchAny(e -> {
          log.error("Unhandled error in an HTTP route", e);
          return Directives.complete(response(ApiError.INTERNAL_ERROR.with(e.getClass().getSimpleName())));
        })
        .build();
  }

  private static Route notAcceptable(List<UnacceptedResponseContentTypeRejection> rejections) {
    TreeSet<String> types = new TreeSet<>();
    rejections.forEach(r -> CollectionConverters.asJava(r.supported()).forEach(a -> types.add(a.format())));
    return Directives.complete(response(ApiError.NOT_ACCEPTABLE.with(String.join(", ", types))));
  }

  /**
   * Rejections (no route, wrong method, an Accept header the endpoint cannot satisfy) become JSON errors
   * instead of Pekko's plain text; any other rejection is a 400 with Pekko's own explanation.
   */
  public static RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handleAll(MethodRejection.class, rs -> Directives.extractRequest(req ->
            Directives.complete(response(ApiError.METHOD_NOT_ALLOWED.with(req.method().value(), req.getUri().path())))))
        .handleAll(UnacceptedResponseContentTypeRejection.class, ApiErrors::notAcceptable)
        .handleNotFound(Directives.extractRequest(req ->
            Directives.complete(response(ApiError.NOT_FOUND.with(req.method().value(), req.getUri().path())))))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(resp -> {
          if (resp.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
            return resp;
          }
          String text = resp.entity() instanceof HttpEntity.Strict strict
              ? strict.getData().utf8String() : resp.status().reason();
          return response(ApiError.INVALID_REQUEST.with(text));
        });
  }
}
