package org.opentela.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.opentela.Json;

/**
 * An error the sim answers, in current vLLM's shape ({@code ErrorResponse(error: ErrorInfo)}; older vLLM
 * sent the fields flat with {@code "object":"error"}):
 * {@code {"error":{"message":..,"type":..,"param":null,"code":<HTTP status>}}},
 * where {@code type} is vLLM's {@code BadRequestError}, {@code NotFoundError}, ... and {@code code} is the
 * status as a number (OpenAI itself uses a string code; clients read both).
 */
final class SimError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The JSON body. */
  record ErrorResponse(ErrorInfo error) {}

  record ErrorInfo(String message, String type, String param, int code) {}

  private final int status;
  private final String type;
  private final String param;

  SimError(int status, String type, String param, String message) {
    // No stack trace: these are answers to bad requests, created on the hot path, never bugs.
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.param = param;
  }

  static SimError badRequest(String param, String message) {
    return new SimError(400, "BadRequestError", param, message);
  }

  static SimError notFound(String message) {
    return new SimError(404, "NotFoundError", null, message);
  }

  static SimError modelNotFound(String model) {
    return notFound("The model `" + model + "` does not exist.");
  }

  int status() {
    return status;
  }

  HttpResponse toResponse() {
    return response(status, type, param, getMessage());
  }

  static HttpResponse response(int status, String type, String param, String message) {
    byte[] body;
    try {
      body = Json.MAPPER.writeValueAsBytes(new ErrorResponse(new ErrorInfo(message, type, param, status)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render an error body", e);
    }
    return HttpResponse.create().withStatus(StatusCodes.get(status))
        .withEntity(ContentTypes.APPLICATION_JSON, body);
  }
}
