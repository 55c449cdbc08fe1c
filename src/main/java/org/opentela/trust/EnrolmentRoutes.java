package org.opentela.trust;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import com.fasterxml.jackson.core.JsonProcessingException;
import org.opentela.ApiError;
import org.opentela.Json;
import org.opentela.http.ApiErrors;
import org.opentela.http.RequestIds;
import org.opentela.http.Responses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The enrolment API, served only by the head that holds the pool CA:
 * <ul>
 *   <li>{@code GET /v1/pool/ca}: the CA certificate (public; the node checks it against its token);</li>
 *   <li>{@code POST /v1/pool/enrol}: a certificate for a node that proves it holds the join token;</li>
 *   <li>{@code POST /v1/pool/renew}: a new certificate for a node that signs with its current one.</li>
 * </ul>
 * Bodies are small JSON (at most 64 KiB); signing runs on the blocking dispatcher, never on a route's thread.
 */
public final class EnrolmentRoutes {
  private static final Logger log = LoggerFactory.getLogger(EnrolmentRoutes.class);
  private static final long MAX_BODY = 64 * 1024;
  private static final long BODY_TIMEOUT_MS = 10_000;

  record CaView(String ca, String pool) {}

  private final ActorSystem<?> system;
  private final Enroller enroller;
  private final Executor blocking;

  public EnrolmentRoutes(ActorSystem<?> system, Enroller enroller) {
    this.system = system;
    this.enroller = enroller;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  public Route route() {
    return pathPrefix("v1", () -> pathPrefix("pool", () -> concat(
        path("ca", () -> get(() -> complete(Responses.json(StatusCodes.OK, new CaView(
            Pem.encode(enroller.ca().certificate()), Certificates.poolName(enroller.ca().hash())))))),
        path("enrol", () -> post(() -> extractRequest(req -> completeWithFuture(
            handle(req.entity(), RequestIds.of(req), Enroller.EnrolRequest.class, r -> {
              Enroller.Issued issued = enroller.enrol(r);
              log.info("Enrolled peer {} in the closed pool", r.peerId());
              return issued;
            }))))),
        path("renew", () -> post(() -> extractRequest(req -> completeWithFuture(
            handle(req.entity(), RequestIds.of(req), Enroller.RenewRequest.class, r -> {
              Enroller.Issued issued = enroller.renew(r);
              log.debug("Renewed the certificate of peer {}", r.peerId());
              return issued;
            }))))))));
  }

  private interface Handler<T> {
    Enroller.Issued apply(T request) throws Enroller.Refusal, IOException;
  }

  private <T> CompletionStage<HttpResponse> handle(HttpEntity entity, String rid, Class<T> type, Handler<T> handler) {
    return entity.withSizeLimit(MAX_BODY).toStrict(BODY_TIMEOUT_MS, system)
        .thenApplyAsync(strict -> {
          T request;
          try {
            request = Json.MAPPER.readValue(strict.getData().toArray(), type);
          } catch (IOException e) {
            return ApiErrors.response(ApiError.INVALID_ENROLMENT_REQUEST.with("the body is not a JSON enrolment"
                + " request: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage())), rid);
          }
          try {
            return Responses.json(StatusCodes.OK, handler.apply(request));
          } catch (Enroller.Refusal e) {
            log.warn("Refused an enrolment request ({}): {}", e.problem.error().code(), e.getMessage());
            return ApiErrors.response(e.problem, rid);
          } catch (IOException e) {
            log.error("Enrolment failed on this head", e);
            return ApiErrors.response(ApiError.ENROLMENT_UNAVAILABLE.with(e.getMessage()), rid);
          }
        }, blocking)
        .exceptionally(err -> unreadable(err, rid));
  }

  /** The body could not be read: too large, too slow, or a fault of this head. */
  private static HttpResponse unreadable(Throwable err, String rid) {
    Throwable root = err;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root instanceof EntityStreamSizeException) {
      return ApiErrors.response(ApiError.ENROLMENT_REQUEST_TOO_LARGE.with(MAX_BODY), rid);
    }
    if (root instanceof TimeoutException) {
      return ApiErrors.response(ApiError.INVALID_ENROLMENT_REQUEST.with("the body did not arrive within "
          + BODY_TIMEOUT_MS / 1000 + " s"), rid);
    }
    log.error("Enrolment failed on this head", err);
    return ApiErrors.response(ApiError.INTERNAL_ERROR.with(root.getClass().getSimpleName()), rid);
  }

}
