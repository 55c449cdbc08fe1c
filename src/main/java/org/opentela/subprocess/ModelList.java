package org.opentela.subprocess;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.opentela.Json;

/**
 * The models an OpenAI-compatible backend serves, from its {@code GET /v1/models} answer
 * ({@code {"object":"list","data":[{"id":"Qwen/Qwen3-8B",...}]}}), and the identity groups they give.
 */
final class ModelList {
  private ModelList() {}

  /** The model ids in {@code json}, in order, without duplicates or blanks. */
  static List<String> parse(String json) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("/v1/models: not JSON (" + e.getOriginalMessage() + ")", e);
    }
    JsonNode data = root == null ? null : root.get("data");
    if (data == null || !data.isArray()) {
      throw new IllegalArgumentException("/v1/models: no \"data\" array (expected: {\"data\":[{\"id\":...}]})");
    }
    Set<String> ids = new LinkedHashSet<>();
    for (JsonNode model : data) {
      JsonNode id = model.get("id");
      if (id != null && id.isTextual() && !id.asText().isBlank()) {
        ids.add(id.asText());
      }
    }
    return List.copyOf(ids);
  }

  /** {@code model=<id>} for every model, then the configured groups not already present. */
  static List<String> identityGroups(List<String> models, List<String> configured) {
    Set<String> groups = new LinkedHashSet<>();
    for (String m : models) {
      groups.add("model=" + m);
    }
    groups.addAll(configured);
    return new ArrayList<>(groups);
  }
}
