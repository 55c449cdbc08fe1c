package org.opentela.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.opentela.testing.Eventually.eventually;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.Json;
import org.opentela.testing.FakeOpenAi;
import org.opentela.testing.InJvmNode;

/** A head that stops and starts again with the same data directory still has its keys, revocations and usage. */
class KeysSurviveRestartTest {
  @TempDir
  Path dir;

  @Test
  void keysRevocationsAndUsageSurviveARestart() throws Exception {
    Path keyFile = dir.resolve("admin.key");
    Files.writeString(keyFile, ApiKeysClusterTest.ADMIN + "\n");
    String[] flags = {"--mode", "standalone", "--seed", "50", "--datadir", dir.resolve("head").toString(),
        "--auth.admin_key_file", keyFile.toString()};
    String key;
    String gone;
    try (FakeOpenAi backend = FakeOpenAi.start("backend", "m1")) {
      try (InJvmNode head = InJvmNode.start(dir, flags)) {
        head.publish("llm", backend.port, "model=m1");
        key = ApiKeysClusterTest.create(head, "{\"name\":\"kept\",\"rpm\":100}", List.of(head)).path("key").asText();
        gone = ApiKeysClusterTest.create(head, "{\"name\":\"gone\"}", List.of(head)).path("key").asText();
        assertEquals(200, ApiKeysClusterTest.send(head, "DELETE", "/v1/admin/keys/gone", ApiKeysClusterTest.ADMIN,
            null).statusCode());
        for (int i = 0; i < 2; i++) {
          assertEquals(200, ApiKeysClusterTest.send(head, "POST", "/v1/service/llm/v1/chat/completions", key,
              ApiKeysClusterTest.chat("m1", false)).statusCode());
        }
      }
      try (InJvmNode head = InJvmNode.start(dir, flags)) {
        head.publish("llm", backend.port, "model=m1");
        eventually("the restarted head to know its keys again", Duration.ofSeconds(10), () -> {
          assertEquals(200, ApiKeysClusterTest.send(head, "POST", "/v1/service/llm/v1/chat/completions", key,
              ApiKeysClusterTest.chat("m1", false)).statusCode());
        });
        HttpResponse<String> revoked = ApiKeysClusterTest.send(head, "POST", "/v1/service/llm/v1/chat/completions",
            gone, ApiKeysClusterTest.chat("m1", false));
        assertEquals(401, revoked.statusCode(), revoked.body());
        eventually("the usage from before the restart to be there", Duration.ofSeconds(10), () -> {
          JsonNode usage = Json.MAPPER.readTree(ApiKeysClusterTest.send(head, "GET", "/v1/admin/usage?key=kept",
              ApiKeysClusterTest.ADMIN, null).body());
          long requests = 0;
          for (JsonNode row : usage.path("data")) {
            requests += row.path("requests").asLong();
          }
          assertEquals(3, requests, usage.toString());
        });
      }
    }
  }
}
