package org.opentela.sim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import org.opentela.Json;

/**
 * What the sim needs from a chat or text completion request, read from its JSON body and validated as
 * vLLM does (400 for a bad field). Every other field (temperature, tools, ...) is accepted and ignored.
 *
 * @param kind which endpoint it came to
 * @param model the requested model, or null when absent (vLLM then uses the first served model)
 * @param prompt estimated prompt length in tokens, and its prefix-cache blocks
 * @param maxTokens the request's max_completion_tokens or max_tokens, or 0 when absent
 * @param stream whether to answer with server-sent events
 * @param includeUsage {@code stream_options.include_usage}: end the stream with a usage chunk
 */
record SimRequest(Kind kind, String model, Prompt prompt, int maxTokens, boolean stream, boolean includeUsage) {

  enum Kind { CHAT, COMPLETION }

  /** How many tokens to generate, and the finish_reason that says why no more. */
  record Plan(int tokens, String finishReason) {}

  /** Tokens the chat template adds per message and to prime the answer (as OpenAI's own estimate). */
  private static final int TOKENS_PER_MESSAGE = 4;
  private static final int TOKENS_PER_REPLY = 3;

  /** Estimated prompt length in tokens. */
  int promptTokens() {
    return prompt.tokens();
  }

  static SimRequest parse(Kind kind, byte[] body) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw SimError.badRequest(null, "Invalid JSON in the request body: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw SimError.badRequest(null, "Unreadable request body: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw SimError.badRequest(null, "The request body must be a JSON object, e.g. "
          + (kind == Kind.CHAT ? "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}"
              : "{\"model\": \"m\", \"prompt\": \"Once upon a time\"}"));
    }
    String model = null;
    JsonNode m = root.get("model");
    if (m != null && !m.isNull()) {
      if (!m.isTextual()) {
        throw SimError.badRequest("model", "model: " + m + " (expected: a string naming a served model)");
      }
      model = m.asText();
    }
    Prompt prompt = kind == Kind.CHAT ? chatPrompt(root.get("messages")) : completionPrompt(root.get("prompt"));
    int maxTokens = kind == Kind.CHAT ? positiveInt(root, "max_completion_tokens") : 0;
    if (maxTokens == 0) {
      maxTokens = positiveInt(root, "max_tokens");
    }
    JsonNode n = root.get("n");
    if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asLong() == 1)) {
      throw SimError.badRequest("n", "n: " + n + " (expected: 1; llm-sim generates one choice per request)");
    }
    boolean stream = bool(root, "stream");
    boolean includeUsage = false;
    JsonNode options = root.get("stream_options");
    if (options != null && !options.isNull()) {
      if (!stream) {
        throw SimError.badRequest("stream_options", "Stream options can only be defined when `stream=True`.");
      }
      if (!options.isObject()) {
        throw SimError.badRequest("stream_options", "stream_options: " + options
            + " (expected: an object such as {\"include_usage\": true})");
      }
      includeUsage = bool(options, "include_usage");
    }
    return new SimRequest(kind, model, prompt, maxTokens, stream, includeUsage);
  }

  /**
   * The answer is {@code answerTokens} long, unless the request's max tokens or the context left over
   * by the prompt cuts it (finish_reason "length"); a request that cannot fit is a 400, as in vLLM.
   */
  Plan plan(int answerTokens, int maxModelLen) {
    int promptTokens = prompt.tokens();
    if (promptTokens >= maxModelLen) {
      throw SimError.badRequest(null, "This model's maximum context length is " + maxModelLen
          + " tokens. However, your request has " + promptTokens
          + " input tokens. Please reduce the length of the input messages.");
    }
    if (maxTokens > 0 && (long) promptTokens + maxTokens > maxModelLen) {
      throw SimError.badRequest(null, "This model's maximum context length is " + maxModelLen
          + " tokens. However, you requested " + ((long) promptTokens + maxTokens) + " tokens (" + promptTokens
          + " in the messages, " + maxTokens + " in the completion). Please reduce the length of the messages"
          + " or completion.");
    }
    int limit = maxTokens > 0 ? maxTokens : maxModelLen - promptTokens;
    return limit <= answerTokens ? new Plan(limit, "length") : new Plan(answerTokens, "stop");
  }

  /**
   * The messages' tokens, and the blocks of the prompt as a ChatML-style template renders it
   * ({@code <|im_start|>role\ncontent<|im_end|>\n} per message, then {@code <|im_start|>assistant\n}), so
   * that a conversation's next turn starts with its previous prompt, as with real chat templates.
   */
  private static Prompt chatPrompt(JsonNode messages) {
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw SimError.badRequest("messages", "messages: " + (messages == null ? "missing" : messages.toString())
          + " (expected: a non-empty array such as [{\"role\": \"user\", \"content\": \"Hello\"}])");
    }
    int tokens = TOKENS_PER_REPLY;
    StringBuilder rendered = new StringBuilder(1024);
    for (JsonNode message : messages) {
      if (!message.isObject()) {
        throw SimError.badRequest("messages", "messages: " + message
            + " (expected: each message an object such as {\"role\": \"user\", \"content\": \"Hello\"})");
      }
      JsonNode role = message.get("role");
      rendered.append("<|im_start|>").append(role == null ? "" : role.asText()).append('\n');
      int before = rendered.length();
      appendContent(message.get("content"), rendered);
      tokens += TOKENS_PER_MESSAGE + Words.estimateTokens(rendered.subSequence(before, rendered.length()));
      rendered.append("<|im_end|>\n");
    }
    rendered.append("<|im_start|>assistant\n");
    return new Prompt(tokens, Prompt.textBlocks(rendered));
  }

  /** A message's content: a string, or an array of parts of which the text parts count. */
  private static void appendContent(JsonNode content, StringBuilder out) {
    if (content == null || content.isNull()) {
      return;
    }
    if (content.isTextual()) {
      out.append(content.asText());
    } else if (content.isArray()) {
      for (JsonNode part : content) {
        JsonNode text = part.get("text");
        if (text != null && text.isTextual()) {
          out.append(text.asText());
        }
      }
    }
  }

  /** A completion prompt: a string, token ids, or a list holding one of those. */
  private static Prompt completionPrompt(JsonNode prompt) {
    if (prompt == null || prompt.isNull()) {
      throw SimError.badRequest("prompt", "prompt: missing (expected: a string such as \"Once upon a time\")");
    }
    if (prompt.isTextual()) {
      String text = prompt.asText();
      return new Prompt(Math.max(1, Words.estimateTokens(text)), Prompt.textBlocks(text));
    }
    if (prompt.isArray() && !prompt.isEmpty()) {
      if (prompt.get(0).isIntegralNumber()) {
        long[] ids = new long[prompt.size()];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = prompt.get(i).asLong();
        }
        return new Prompt(ids.length, Prompt.idBlocks(ids));
      }
      if (prompt.size() == 1 && (prompt.get(0).isTextual() || prompt.get(0).isArray())) {
        return completionPrompt(prompt.get(0));
      }
      if (prompt.size() > 1) {
        throw SimError.badRequest("prompt", "prompt: " + prompt.size()
            + " prompts (expected: one; llm-sim answers one prompt per request)");
      }
    }
    throw SimError.badRequest("prompt", "prompt: " + prompt + " (expected: a string or an array of token ids)");
  }

  private static int positiveInt(JsonNode root, String field) {
    JsonNode v = root.get(field);
    if (v == null || v.isNull()) {
      return 0;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
      throw SimError.badRequest(field, field + ": " + v + " (expected: an integer >= 1)");
    }
    return v.asInt();
  }

  private static boolean bool(JsonNode root, String field) {
    JsonNode v = root.get(field);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw SimError.badRequest(field, field + ": " + v + " (expected: true or false)");
    }
    return v.asBoolean();
  }
}
