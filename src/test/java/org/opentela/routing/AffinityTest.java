package org.opentela.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AffinityTest {
  private static MatchFields fields(String... kv) {
    Map<String, String> m = new java.util.HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return new MatchFields(m, Set.copyOf(m.keySet()));
  }

  @Test
  void theSessionIsTheFirstOfTheHeadersThenTheBodyFields() {
    MatchFields body = fields("prompt_cache_key", "pck", "user", "alice");
    assertEquals("h1", Affinity.sessionKey(body, List.of("X-Session-Id", "h1", "X-Session-Affinity", "h2")));
    assertEquals("h2", Affinity.sessionKey(body, List.of("x-session-affinity", "h2")));
    assertEquals("pck", Affinity.sessionKey(body, List.of("X-Session-Id", "  ")), "a blank header is no session");
    assertEquals("alice", Affinity.sessionKey(fields("user", "alice"), List.of()));
    assertNull(Affinity.sessionKey(fields("model", "m"), List.of("Authorization", "Bearer x")));
  }

  @Test
  void sameSessionSameHashOnEveryHeadAndAnyTransport() {
    Affinity viaHeader = Affinity.of("llm", fields(), List.of("X-Session-Id", "chat-42"));
    Affinity viaBody = Affinity.of("llm", fields("prompt_cache_key", "chat-42"), List.of());
    assertTrue(viaHeader.hasSession());
    assertEquals(viaHeader.session(), viaBody.session());
    assertNotEquals(viaHeader.session(), Affinity.of("llm", fields("user", "chat-43"), List.of()).session());
    assertEquals(Affinity.hash64("chat-42"), viaHeader.session(), "a pure function of the key");
  }

  @Test
  void longKeysAreCut() {
    String longKey = "k".repeat(10_000);
    assertEquals(Affinity.MAX_SESSION_CHARS, Affinity.sessionKey(fields("user", longKey), List.of()).length());
  }

  @Test
  void promptBlocksAreScopedByModel() throws Exception {
    String messages = "\"messages\":[{\"role\":\"user\",\"content\":\"" + "w".repeat(600) + "\"}]";
    byte[] a = ("{\"model\":\"a\"," + messages + "}").getBytes(StandardCharsets.UTF_8);
    byte[] b = ("{\"model\":\"b\"," + messages + "}").getBytes(StandardCharsets.UTF_8);
    Affinity fa = Affinity.of("llm", MatchFields.ofJson(a, 0, a.length, true), List.of());
    Affinity fa2 = Affinity.of("llm", MatchFields.ofJson(a, 0, a.length, true), List.of());
    Affinity fb = Affinity.of("llm", MatchFields.ofJson(b, 0, b.length, true), List.of());
    assertFalse(fa.hasSession());
    assertEquals(2, fa.prefixBlocks());
    assertEquals(fa.prefix(1), fa2.prefix(1));
    assertNotEquals(fa.prefix(0), fb.prefix(0));
  }

  @Test
  void nothingToGoByIsNone() {
    assertSame(Affinity.NONE, Affinity.of("llm", fields("model", "m"), List.of()));
  }
}
