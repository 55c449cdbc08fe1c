package org.opentela.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameter;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.ApiErrorAssert.assertApiError;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentela.ApiError;
import org.opentela.Json;

/** Whatever goes wrong in a route, the client gets an entry of the catalogue as an OpenAI-shaped error. */
class ApiErrorsTest {
  private static final ActorTestKit testKit = ActorTestKit.create(com.typesafe.config.ConfigFactory.parseString(
      "pekko.actor.provider = local"));
  private static ServerBinding binding;

  record Ok(String status) {}

  @BeforeAll
  static void bind() throws Exception {
    Route routes = org.apache.pekko.http.javadsl.server.Directives.concat(
        path("boom", () -> {
          throw new IllegalStateException("a bug");
        }),
        path("get-only", () -> get(() -> complete("ok"))),
        path("json", () -> get(() -> complete(StatusCodes.OK, new Ok("ok"), Jackson.marshaller(Json.MAPPER)))),
        path("needs-param", () -> parameter("x", x -> complete(x))));
    binding = Http.get(testKit.system()).newServerAt("127.0.0.1", 0).bind(HttpApi.route(List.of(routes)))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static HttpResponse<String> send(String method, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + binding.localAddress().getPort()
        + path)).timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return org.opentela.testing.Http.client().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anUnknownPathIsNotFoundAndSaysWhereRequestsGo() throws Exception {
    String message = assertApiError(ApiError.NOT_FOUND, send("GET", "/v2/nothing")).get("message").asText();
    assertTrue(message.contains("/v2/nothing") && message.contains("/v1/service/llm/v1/chat/completions"), message);
  }

  @Test
  void aWrongMethodIsMethodNotAllowed() throws Exception {
    assertApiError(ApiError.METHOD_NOT_ALLOWED, send("DELETE", "/get-only"));
  }

  @Test
  void anAcceptHeaderTheEndpointCannotSatisfyIsNotAcceptable() throws Exception {
    String message = assertApiError(ApiError.NOT_ACCEPTABLE, send("GET", "/json", "Accept", "text/html"))
        .get("message").asText();
    assertTrue(message.contains("application/json"), message);
  }

  @Test
  void anyOtherRejectionIsAnInvalidRequestWithPekkosExplanation() throws Exception {
    var response = send("GET", "/needs-param");
    JsonNode error = assertApiError(ApiError.INVALID_REQUEST, response);
    String message = error.get("message").asText();
    assertTrue(message.contains("x"), message);
    // One handler serves every request: the id in the body is still this request's.
    assertEquals(response.headers().firstValue("X-Request-Id").orElseThrow(), error.get("request_id").asText());
    var again = send("GET", "/needs-param");
    assertEquals(again.headers().firstValue("X-Request-Id").orElseThrow(),
        assertApiError(ApiError.INVALID_REQUEST, again).get("request_id").asText());
  }

  @Test
  void anExceptionInARouteIsAnInternalErrorThatNamesNoDetail() throws Exception {
    var response = send("GET", "/boom");
    JsonNode error = assertApiError(ApiError.INTERNAL_ERROR, response);
    String message = error.get("message").asText();
    // The exception's class and message are internals: the log has them, under the request id the client gets.
    assertTrue(!message.contains("IllegalStateException") && !message.contains("a bug"), message);
    String id = response.headers().firstValue("X-Request-Id").orElseThrow();
    assertEquals(id, error.get("request_id").asText());
    assertTrue(message.contains(id), message);
  }
}
