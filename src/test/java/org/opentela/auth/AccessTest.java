package org.opentela.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.opentela.ApiError;
import org.opentela.Json;
import org.opentela.config.UsageException;

/** Who a request's Authorization header names, which paths an API key reaches, and what a key may be made of. */
class AccessTest {
  static final String ADMIN = "an-admin-key-of-some-length";
  final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

  Access access(int maxFailures) {
    AuthSettings s = new AuthSettings(KeySecrets.digest(ADMIN), "test", new ClientPaths(ClientPaths.DEFAULT, Map.of()),
        maxFailures, Duration.ofMillis(100), Duration.ofSeconds(1));
    return new Access(s, nanos::get, millis::get, Duration.ofMinutes(1));
  }

  /** A key in the ring of {@code a}; returns the whole key a client sends. */
  String addKey(Access a, String name, Limits limits, long expiresAt) {
    String id = KeySecrets.newId();
    String secret = KeySecrets.newSecret();
    ApiKey k = new ApiKey(id, name, KeySecrets.hash(secret), limits,
        new ApiKey.Validity(millis.get() / 1000, expiresAt, 0));
    a.keys(a.keys().with(k));
    return KeySecrets.format(id, secret);
  }

  @Test
  void theAdminKeyAKeyOfThePoolAndEverythingElseAreToldApart() {
    Access a = access(0);
    String key = addKey(a, "alice", Limits.NONE, 0);
    assertInstanceOf(Caller.Admin.class, a.identify("Bearer " + ADMIN, "1.2.3.4"));
    assertInstanceOf(Caller.Admin.class, a.identify("bearer  " + ADMIN + " ", "1.2.3.4"));
    Caller c = a.identify("Bearer " + key, "1.2.3.4");
    assertEquals("alice", ((Caller.Client) c).key().name());
    assertEquals(ApiError.MISSING_API_KEY, refused(a.identify(null, "1.2.3.4")));
    assertEquals(ApiError.MISSING_API_KEY, refused(a.identify("Bearer ", "1.2.3.4")));
    assertEquals(ApiError.INVALID_API_KEY, refused(a.identify("Bearer " + ADMIN + "x", "1.2.3.4")));
    // Right id, wrong secret; a secret of another key under this id.
    String other = addKey(a, "bob", Limits.NONE, 0);
    String forged = key.substring(0, KeySecrets.PREFIX.length() + 9) + other.substring(KeySecrets.PREFIX.length() + 9);
    assertEquals(ApiError.INVALID_API_KEY, refused(a.identify("Bearer " + forged, "1.2.3.4")));
    Caller.Refused wrong = (Caller.Refused) a.identify("Bearer " + forged, "1.2.3.4");
    assertFalse(wrong.problem().message().contains(forged.substring(18)), "an error never echoes a secret");
  }

  @Test
  void aRevokedOrExpiredKeyIsRefusedAndSaysWhy() {
    Access a = access(0);
    String expiring = addKey(a, "temp", Limits.NONE, millis.get() / 1000 + 60);
    assertInstanceOf(Caller.Client.class, a.identify("Bearer " + expiring, "x"));
    millis.addAndGet(61_000);
    Caller.Refused r = (Caller.Refused) a.identify("Bearer " + expiring, "x");
    assertTrue(r.problem().message().contains("has expired"), r.problem().message());
    String key = addKey(a, "gone", Limits.NONE, 0);
    ApiKey k = a.keys().get(KeySecrets.parse(key).id());
    a.keys(a.keys().with(k.revokedAt(millis.get() / 1000)));
    r = (Caller.Refused) a.identify("Bearer " + key, "x");
    assertTrue(r.problem().message().contains("was revoked"), r.problem().message());
  }

  @Test
  void anAddressThatKeepsFailingIsThrottledButItsApiKeysStillWork() {
    Access a = access(3);
    String key = addKey(a, "alice", Limits.NONE, 0);
    for (int i = 0; i < 4; i++) {
      assertEquals(ApiError.INVALID_API_KEY, refused(a.identify("Bearer guess-" + i, "6.6.6.6")));
    }
    Caller.Refused throttled = (Caller.Refused) a.identify("Bearer " + ADMIN, "6.6.6.6");
    assertEquals(ApiError.TOO_MANY_AUTH_FAILURES, throttled.problem().error());
    assertTrue(throttled.retryAfterSeconds() >= 1 && throttled.retryAfterSeconds() <= 60);
    assertInstanceOf(Caller.Client.class, a.identify("Bearer " + key, "6.6.6.6"));
    assertInstanceOf(Caller.Admin.class, a.identify("Bearer " + ADMIN, "7.7.7.7"), "other addresses are not touched");
    nanos.addAndGet(Duration.ofSeconds(61).toNanos());
    assertInstanceOf(Caller.Admin.class, a.identify("Bearer " + ADMIN, "6.6.6.6"), "failures age out");
  }

  @Test
  void anApiKeyReachesOnlyInferencePathsWrittenPlainly() {
    ClientPaths p = new ClientPaths(ClientPaths.DEFAULT, Map.of("embed", List.of("/v1/embeddings")));
    for (String ok : List.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models",
        "/v1/models/Qwen%2FQwen3-8B", "/v1/responses", "/v1/audio/transcriptions", "/v1/rerank", "/tokenize")) {
      assertTrue(p.allows("llm", ok), ok);
    }
    for (String no : List.of("/v1/load_lora_adapter", "/v1/unload_lora_adapter", "/sleep", "/wake_up",
        "/reset_prefix_cache", "/metrics", "/health", "/", "/v1/chat/completions/../../sleep",
        "/v1/chat/completions/%2e%2e/sleep", "/v1/models/..", "/v1/models/x/../../../sleep", "/v1//chat/completions",
        "/v1/chat/completions;x", "/v1/chat/completions\\..\\sleep", "/v1/models/", "/V1/chat/completions", "/v1/models/..%2F..%2Fsleep",
        "/v1/models/x%2F%2E%2E", "/v1/models/%252e%252e")) {
      assertFalse(p.allows("llm", no), no);
    }
    assertTrue(p.allows("embed", "/v1/embeddings"));
    assertFalse(p.allows("embed", "/v1/chat/completions"), "a service's own list replaces the default");
    assertThrows(IllegalArgumentException.class, () -> new ClientPaths(List.of("v1/x"), Map.of()));
    assertThrows(IllegalArgumentException.class, () -> new ClientPaths(List.of("/v1/*/x"), Map.of()));
  }

  @Test
  void settingsNeedALongEnoughAdminKeyAndSayHowToMakeOne() {
    var base = ConfigFactory.defaultReference();
    assertFalse(AuthSettings.fromConfig(base, Map.of()).enabled());
    assertTrue(AuthSettings.fromConfig(base, Map.of(AuthSettings.ENV, ADMIN)).enabled());
    UsageException tooShort = assertThrows(UsageException.class,
        () -> AuthSettings.fromConfig(base, Map.of(AuthSettings.ENV, "short")));
    assertTrue(tooShort.getMessage().contains("openssl rand -hex 32"), tooShort.getMessage());
    assertThrows(UsageException.class, () -> AuthSettings.fromConfig(
        ConfigFactory.parseString("otela.auth.admin_key_file = \"/no/such/file\"").withFallback(base), Map.of()));
    assertThrows(UsageException.class,
        () -> AuthSettings.fromConfig(base, Map.of(AuthSettings.ENV, "sk-otela-abcdefgh-0123456789")));
    assertEquals(ClientPaths.DEFAULT, AuthSettings.fromConfig(base, Map.of(AuthSettings.ENV, ADMIN)).clientPaths()
        .rules("llm"), "reference.conf's default list is the code's");
  }

  @Test
  void aKeySpecIsReadWithClearErrors() throws Exception {
    long now = 1_700_000_000L;
    KeyKeeper.KeySpec s = KeySpecs.parse(Json.MAPPER.readTree(
        "{\"name\":\"alice\",\"rpm\":600,\"tpm\":200000,\"max_parallel\":8,\"models\":[\"m1\",\"m2\"],\"expires\":\"30d\"}"),
        now);
    assertEquals(new Limits(600, 200000, 8, List.of("m1", "m2")), s.limits());
    assertEquals(now + 30 * 86400, s.expiresAt());
    assertEquals(0, KeySpecs.parse(Json.MAPPER.readTree("{\"name\":\"bob\"}"), now).expiresAt());
    for (String bad : List.of("{}", "{\"name\":\"\"}", "{\"name\":\"a b\"}", "{\"name\":\"x\",\"rpm\":-1}",
        "{\"name\":\"x\",\"rpm\":1.5}", "{\"name\":\"x\",\"rpm\":\"10\"}", "{\"name\":\"x\",\"models\":\"m1\"}",
        "{\"name\":\"x\",\"expires\":\"soon\"}", "{\"name\":\"x\",\"expires\":\"2001-01-01\"}",
        "{\"name\":\"x\",\"rmp\":10}", "[]")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> KeySpecs.parse(Json.MAPPER.readTree(bad), now), bad);
      assertTrue(e.getMessage().contains("expected"), e.getMessage());
    }
  }

  @Test
  void anExchangeFinishesOnceHoweverItEnds() {
    Access a = access(0);
    String key = addKey(a, "alice", new Limits(0, 0, 1, List.of()), 0);
    Exchange first = a.exchange(a.identify("Bearer " + key, "x"));
    assertNull(first.admit("m"));
    Exchange second = a.exchange(a.identify("Bearer " + key, "x"));
    assertEquals(ApiError.RATE_LIMIT_EXCEEDED, second.admit("m").error());
    first.finish(200, new TokenUsage(1, 2), false);
    first.finish(500, new TokenUsage(1, 2), true);
    assertNull(a.exchange(a.identify("Bearer " + key, "x")).admit("m"), "the slot came back once");
  }

  private static ApiError refused(Caller c) {
    return ((Caller.Refused) c).problem().error();
  }
}
