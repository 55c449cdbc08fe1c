package org.opentela.sim;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * The JSON bodies of non-streaming answers and of /v1/models, field for field as vLLM writes them
 * (snake_case, nulls written out). Components typed {@link Object} are always null: fields vLLM sends as
 * null when nothing fills them (logprobs, refusal, ...), kept because strict clients require them.
 */
final class OpenAiShapes {
  private OpenAiShapes() {}

  /** vLLM fills {@code prompt_tokens_details} only when some prompt tokens came from its prefix cache. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Usage(int promptTokens, int totalTokens, int completionTokens, PromptTokensDetails promptTokensDetails) {
    static Usage of(int prompt, int completion, int cached) {
      return new Usage(prompt, prompt + completion, completion, cached > 0 ? new PromptTokensDetails(cached) : null);
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record PromptTokensDetails(int cachedTokens) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ChatCompletion(String id, String object, long created, String model, List<ChatChoice> choices,
      Object serviceTier, Object systemFingerprint, Usage usage, Object promptLogprobs, Object kvTransferParams) {
    static ChatCompletion of(String id, long created, String model, String content, String finishReason,
        Usage usage) {
      ChatMessage message = new ChatMessage("assistant", content, null, null, null, null, List.of(), null);
      return new ChatCompletion(id, "chat.completion", created, model,
          List.of(new ChatChoice(0, message, null, finishReason, null)), null, null, usage, null, null);
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ChatChoice(int index, ChatMessage message, Object logprobs, String finishReason, Object stopReason) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ChatMessage(String role, String content, Object refusal, Object annotations, Object audio, Object functionCall,
      List<Object> toolCalls, Object reasoningContent) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record Completion(String id, String object, long created, String model, List<CompletionChoice> choices,
      Object serviceTier, Object systemFingerprint, Usage usage, Object kvTransferParams) {
    static Completion of(String id, long created, String model, String text, String finishReason, Usage usage) {
      return new Completion(id, "text_completion", created, model,
          List.of(new CompletionChoice(0, text, null, finishReason, null, null)), null, null, usage, null);
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record CompletionChoice(int index, String text, Object logprobs, String finishReason, Object stopReason,
      Object promptLogprobs) {}

  record ModelList(String object, List<ModelCard> data) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ModelCard(String id, String object, long created, String ownedBy, String root, Object parent,
      int maxModelLen, List<ModelPermission> permission) {
    static ModelCard of(String model, long created, int maxModelLen, String permissionId) {
      return new ModelCard(model, "model", created, "llm-sim", model, null, maxModelLen,
          List.of(new ModelPermission(permissionId, "model_permission", created, false, true, true, false, true,
              false, "*", null, false)));
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  record ModelPermission(String id, String object, long created, boolean allowCreateEngine,
      boolean allowSampling, boolean allowLogprobs, boolean allowSearchIndices, boolean allowView,
      boolean allowFineTuning, String organization, Object group, boolean isBlocking) {}
}
