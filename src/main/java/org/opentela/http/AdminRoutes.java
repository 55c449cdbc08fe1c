package org.opentela.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.delete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.parameterOptional;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEndOrSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.opentela.ApiError;
import org.opentela.Json;
import org.opentela.auth.Access;
import org.opentela.auth.ApiKey;
import org.opentela.auth.KeyKeeper;
import org.opentela.auth.KeyRing;
import org.opentela.auth.KeySpecs;
import org.opentela.auth.UsageKeeper;

/**
 * The admin API of API keys, on every node, admin key only: {@code GET/POST /v1/admin/keys},
 * {@code DELETE /v1/admin/keys/{id or name}} (revoke), and {@code GET /v1/admin/usage?from&to&key}.
 * With API keys off, {@code /v1/admin/*} answers 404 {@code auth_disabled}, saying how to turn them on.
 */
public final class AdminRoutes {
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);
  private static final int MAX_BODY = 64 * 1024;

  /** A key as the admin API shows it: never its secret or its hash. */
  record KeyView(String id, String name, String status, long created_at, Long expires_at, Long revoked_at,
      LimitsView limits) {
    static KeyView of(ApiKey k, long now) {
      ApiKey.Validity v = k.validity();
      return new KeyView(k.id(), k.name(), k.status(now), v.createdAt(), v.expiresAt() > 0 ? v.expiresAt() : null,
          v.revokedAt() > 0 ? v.revokedAt() : null, new LimitsView(k.limits().rpm(), k.limits().tpm(),
              k.limits().maxParallel(), k.limits().models()));
    }
  }

  record LimitsView(long rpm, long tpm, int max_parallel, List<String> models) {}

  /** A new key: the secret, shown this once. */
  record CreatedView(String key, String id, String name, String status, Long expires_at, LimitsView limits,
      boolean on_every_node) {}

  record KeyList(String object, List<KeyView> data) {}

  record UsageRow(String day, String key_id, String key, String model, long requests, long prompt_tokens,
      long completion_tokens, long total_tokens, long errors) {}

  record UsageList(String object, String from, String to, List<UsageRow> data) {}

  private final ActorSystem<?> system;
  private final Access access;
  private final Access.Actors actors;

  public AdminRoutes(ActorSystem<?> system, Access access, Access.Actors actors) {
    this.system = system;
    this.access = access;
    this.actors = actors;
  }

  public Route route() {
    return pathPrefix("v1", () -> pathPrefix("admin", () -> extractRequest(req -> {
      String rid = RequestIds.of(req);
      return !access.enabled() || actors == null
          ? complete(ApiErrors.response(ApiError.AUTH_DISABLED.with(req.getUri().path()), rid))
          : Guard.adminOnly(access, () -> concat(
              pathPrefix("keys", () -> concat(
                  pathEndOrSingleSlash(() -> concat(
                      get(() -> complete(list())),
                      post(() -> completeWithFuture(create(req, rid))))),
                  path(segment(), idOrName -> delete(() -> completeWithFuture(revoke(idOrName, rid)))))),
              path("usage", () -> get(() -> parameterOptional("from", from -> parameterOptional("to", to ->
                  parameterOptional("key", key -> completeWithFuture(usage(from, to, key, rid)))))))));
    })));
  }

  private long now() {
    return System.currentTimeMillis() / 1000;
  }

  private HttpResponse list() {
    long now = now();
    List<KeyView> views = new ArrayList<>();
    access.keys().sorted().forEach(k -> views.add(KeyView.of(k, now)));
    return Responses.json(StatusCodes.OK, new KeyList("list", views));
  }

  private CompletionStage<HttpResponse> create(org.apache.pekko.http.javadsl.model.HttpRequest req, String rid) {
    return req.entity().toStrict(ASK_TIMEOUT.toMillis(), org.apache.pekko.stream.SystemMaterializer.get(system)
        .materializer()).thenCompose(strict -> {
          if (strict.getData().size() > MAX_BODY) {
            return done(ApiError.REQUEST_TOO_LARGE.with(strict.getData().size() + " bytes", MAX_BODY), rid);
          }
          KeyKeeper.KeySpec spec;
          try {
            JsonNode body = Json.MAPPER.readTree(strict.getData().toArrayUnsafe());
            spec = KeySpecs.parse(body, now());
          } catch (IOException e) {
            return done(ApiError.INVALID_JSON.with("the body of POST /v1/admin/keys is not JSON"), rid);
          } catch (IllegalArgumentException e) {
            return done(ApiError.INVALID_REQUEST.with(e.getMessage()), rid);
          }
          CompletionStage<KeyKeeper.CreateReply> reply = AskPattern.ask(actors.keys(),
              r -> new KeyKeeper.Create(spec, r), ASK_TIMEOUT, system.scheduler());
          return reply.thenApply(rep -> {
            if (rep instanceof KeyKeeper.Created c) {
              KeyView v = KeyView.of(c.key(), now());
              return Responses.json(StatusCodes.CREATED, new CreatedView(c.secret(), v.id(), v.name(), v.status(),
                  v.expires_at(), v.limits(), c.everywhere()));
            }
            return ApiErrors.response(((KeyKeeper.Refused) rep).problem(), rid);
          });
        });
  }

  private CompletionStage<HttpResponse> revoke(String idOrName, String rid) {
    CompletionStage<KeyKeeper.RevokeReply> reply = AskPattern.ask(actors.keys(),
        r -> new KeyKeeper.Revoke(idOrName, r), ASK_TIMEOUT, system.scheduler());
    return reply.thenApply(rep -> rep instanceof KeyKeeper.Revoked r
        ? Responses.json(StatusCodes.OK, KeyView.of(r.key(), now()))
        : ApiErrors.response(((KeyKeeper.Refused) rep).problem(), rid));
  }

  private CompletionStage<HttpResponse> usage(Optional<String> from, Optional<String> to, Optional<String> key,
      String rid) {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    LocalDate first;
    LocalDate last;
    try {
      last = to.map(LocalDate::parse).orElse(today);
      first = from.map(LocalDate::parse).orElse(last.minusDays(29));
    } catch (DateTimeParseException e) {
      return done(ApiError.INVALID_REQUEST.with("from/to: " + e.getParsedString()
          + " (expected: a UTC day as YYYY-MM-DD, e.g. " + today + ")"), rid);
    }
    long days = last.toEpochDay() - first.toEpochDay() + 1;
    if (days < 1 || days > UsageKeeper.MAX_DAYS) {
      return done(ApiError.INVALID_REQUEST.with("from " + first + " to " + last + " (expected: from <= to, at most "
          + UsageKeeper.MAX_DAYS + " days)"), rid);
    }
    KeyRing ring = access.keys();
    String keyId = null;
    if (key.isPresent()) {
      ApiKey k = ring.find(key.get(), now());
      if (k == null) {
        return done(ApiError.KEY_NOT_FOUND.with(key.get()), rid);
      }
      keyId = k.id();
    }
    String filter = keyId;
    CompletionStage<UsageKeeper.Report> reply = AskPattern.ask(actors.usage(),
        r -> new UsageKeeper.Query(first, last, filter, r), ASK_TIMEOUT, system.scheduler());
    return reply.thenApply(rep -> {
      List<UsageRow> rows = new ArrayList<>();
      for (UsageKeeper.Row r : rep.rows()) {
        rows.add(new UsageRow(r.day().toString(), r.keyId(), r.keyId().equals(org.opentela.auth.UsageCounts.ADMIN)
            ? "admin" : ring.nameOf(r.keyId()), r.model(), r.counts().requests(), r.counts().prompt(),
            r.counts().completion(), r.counts().prompt() + r.counts().completion(), r.counts().errors()));
      }
      return Responses.json(StatusCodes.OK, new UsageList("list", first.toString(), last.toString(), rows));
    });
  }

  private static CompletionStage<HttpResponse> done(ApiError.Problem p, String rid) {
    return CompletableFuture.completedFuture(ApiErrors.response(p, rid));
  }
}
