package org.opentela.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import org.opentela.ApiError;
import org.opentela.Json;

/** Asserts that an answer is a given entry of otela's error catalogue, rendered as OpenAI's error shape. */
public final class ApiErrorAssert {
  private ApiErrorAssert() {}

  /** {@code r} has {@code expected}'s status and its body is {@code expected}'s error; returns that error object. */
  public static JsonNode assertApiError(ApiError expected, HttpResponse<String> r) {
    assertEquals(expected.status(), r.statusCode(), "status of " + expected + ": " + r.body());
    JsonNode e = assertErrorBody(expected, r.body());
    r.headers().firstValue("X-Request-Id").ifPresent(id -> assertEquals(id, e.path("request_id").asText(),
        "the error body names the request id of the response header: " + r.body()));
    return e;
  }

  /**
   * {@code json} is {@code {"error":{"message","type","code","request_id"}}} with {@code expected}'s type and
   * code, a message and a request id; returns the error object.
   */
  public static JsonNode assertErrorBody(ApiError expected, String json) {
    JsonNode e;
    try {
      e = Json.MAPPER.readTree(json).get("error");
    } catch (IOException ex) {
      throw new UncheckedIOException("not JSON: " + json, ex);
    }
    assertNotNull(e, "an OpenAI-shaped error expected: " + json);
    assertEquals(expected.code(), e.path("code").asText(), json);
    assertEquals(expected.type(), e.path("type").asText(), json);
    assertTrue(e.path("message").isTextual() && !e.path("message").asText().isBlank(), json);
    assertTrue(e.path("request_id").isTextual() && !e.path("request_id").asText().isBlank(), "no request_id: " + json);
    return e;
  }
}
