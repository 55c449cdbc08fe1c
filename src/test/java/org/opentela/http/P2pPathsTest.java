package org.opentela.http;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** In a closed pool /v1/p2p/ reaches documented paths only, and no trick gets past that. */
class P2pPathsTest {
  @Test
  void servicesAndReadOnlyStatusPass() {
    assertNull(P2pPaths.refusal("POST", "/v1/_service/llm/v1/chat/completions"));
    assertNull(P2pPaths.refusal("GET", "/v1/_service/llm/v1/models"));
    assertNull(P2pPaths.refusal("GET", "/v1/dnt/table"));
    assertNull(P2pPaths.refusal("GET", "/metrics"));
  }

  @Test
  void hopsWritesDotSegmentsAndUndocumentedPathsAreRefused() {
    assertNotNull(P2pPaths.refusal("GET", "/v1/p2p/QmOther/v1/_service/llm/v1/models"));
    assertNotNull(P2pPaths.refusal("POST", "/v1/dnt/table"));
    assertNotNull(P2pPaths.refusal("GET", "/v1/_service/"));
    assertNotNull(P2pPaths.refusal("GET", "/v1/_service/llm/../../metrics"));
    assertNotNull(P2pPaths.refusal("GET", "/v1/_service/llm/%2e%2e/admin"));
    assertNotNull(P2pPaths.refusal("GET", "/v1/service/llm/v1/models"));
    assertNotNull(P2pPaths.refusal("GET", "/"));
  }
}
