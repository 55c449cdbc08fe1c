package org.opentela.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelListTest {

  @Test
  void readsModelIdsOfAnOpenAiModelList() {
    String json = """
        {"object":"list","data":[
          {"id":"Qwen/Qwen3-8B","object":"model","owned_by":"vllm","max_model_len":16384},
          {"id":"lora-a","object":"model","parent":"Qwen/Qwen3-8B"},
          {"id":"Qwen/Qwen3-8B"},
          {"id":""},
          {"object":"model"}]}
        """;
    assertEquals(List.of("Qwen/Qwen3-8B", "lora-a"), ModelList.parse(json));
  }

  @Test
  void emptyListIsEmpty() {
    assertTrue(ModelList.parse("{\"data\":[]}").isEmpty());
  }

  @Test
  void rejectsAnswersThatAreNotModelLists() {
    var e = assertThrows(IllegalArgumentException.class, () -> ModelList.parse("{\"models\":[]}"));
    assertTrue(e.getMessage().startsWith("/v1/models: no \"data\" array"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ModelList.parse("<html>not found</html>"));
  }

  @Test
  void identityGroupsAreModelsThenConfiguredGroups() {
    assertEquals(List.of("model=a", "model=b", "all"),
        ModelList.identityGroups(List.of("a", "b"), List.of("model=a", "all")));
  }
}
