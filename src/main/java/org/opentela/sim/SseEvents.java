package org.opentela.sim;

import org.apache.pekko.util.ByteString;

/**
 * The server-sent events of one streamed answer, rendered from per-request templates (the token strings
 * are pre-escaped), byte for byte in vLLM's order and OpenAI's chunk shapes:
 *
 * <pre>
 * data: {"id":..,"object":"chat.completion.chunk","created":..,"model":..,"choices":[C]}  for each C in
 *   {"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}  (first)
 *   {"index":0,"delta":{"content":"This"},"logprobs":null,"finish_reason":null}       (one per token)
 *   {"index":0,"delta":{},"logprobs":null,"finish_reason":"stop","stop_reason":null}  (the end)
 * data: {...,"choices":[],"usage":{"prompt_tokens":..,"completion_tokens":..,"total_tokens":..}}  (if asked)
 *   (with ,"prompt_tokens_details":{"cached_tokens":..} in the usage when some prompt tokens were cached)
 * data: [DONE]
 * </pre>
 *
 * Text completions are the same with {@code "object":"text_completion"} and {@code "text"} instead of a
 * delta, and no role chunk. With include_usage every chunk but the last carries {@code "usage":null}, as
 * OpenAI sends it. Each event ends with a blank line.
 */
final class SseEvents {
  private static final String DONE = "data: [DONE]\n\n";

  private final boolean chat;
  /** {@code data: {"id":..,"object":..,"created":..,"model":..,"choices":[} */
  private final String head;
  /** {@code ,"usage":null}}\n\n} or {@code }\n\n}, closing each chunk. */
  private final String tail;
  private final int promptTokens;
  private final int tokens;
  private final String finishReason;
  private final boolean includeUsage;

  SseEvents(SimRequest.Kind kind, String id, long created, String modelJson, int promptTokens,
      SimRequest.Plan plan, boolean includeUsage) {
    this.chat = kind == SimRequest.Kind.CHAT;
    this.head = "data: {\"id\":\"" + id + "\",\"object\":\"" + (chat ? "chat.completion.chunk" : "text_completion")
        + "\",\"created\":" + created + ",\"model\":" + modelJson + ",\"choices\":[";
    this.tail = includeUsage ? "],\"usage\":null}\n\n" : "]}\n\n";
    this.promptTokens = promptTokens;
    this.tokens = plan.tokens();
    this.finishReason = plan.finishReason();
    this.includeUsage = includeUsage;
  }

  int tokens() {
    return tokens;
  }

  /**
   * The events for tokens {@code [from, to)}; the role chunk before token 0, the end after the last, whose
   * usage reports {@code cachedTokens} prompt tokens found in the prefix cache.
   */
  ByteString render(int from, int to, int cachedTokens) {
    StringBuilder sb = new StringBuilder((to - from + 3) * (head.length() + 96));
    if (from == 0 && chat) {
      sb.append(head).append("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
          + "\"finish_reason\":null}").append(tail);
    }
    for (int i = from; i < to; i++) {
      sb.append(head).append(chat ? "{\"index\":0,\"delta\":{\"content\":" : "{\"index\":0,\"text\":")
          .append(Words.jsonToken(i))
          .append(chat ? "},\"logprobs\":null,\"finish_reason\":null}" : ",\"logprobs\":null,\"finish_reason\":null,"
              + "\"stop_reason\":null}")
          .append(tail);
    }
    if (to == tokens) {
      sb.append(head).append(chat ? "{\"index\":0,\"delta\":{}" : "{\"index\":0,\"text\":\"\"")
          .append(",\"logprobs\":null,\"finish_reason\":\"").append(finishReason).append("\",\"stop_reason\":null}")
          .append(tail);
      if (includeUsage) {
        sb.append(head).append("],\"usage\":{\"prompt_tokens\":").append(promptTokens)
            .append(",\"completion_tokens\":").append(tokens)
            .append(",\"total_tokens\":").append(promptTokens + tokens);
        if (cachedTokens > 0) {
          sb.append(",\"prompt_tokens_details\":{\"cached_tokens\":").append(cachedTokens).append('}');
        }
        sb.append("}}\n\n");
      }
      sb.append(DONE);
    }
    return ByteString.fromString(sb.toString());
  }
}
