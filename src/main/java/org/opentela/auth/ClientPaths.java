package org.opentela.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The backend paths an API key may reach, per service: by default the inference paths of the OpenAI API
 * and vLLM (chat and text completions, embeddings, models, responses, audio, rerank and score, tokenize).
 * Everything else on a backend (vLLM's {@code /v1/load_lora_adapter}, {@code /sleep}, {@code /reset_prefix_cache},
 * ...) needs the admin key. A rule is an exact path, or ends in {@code /*} for one or more segments after
 * it. A path with dot segments (also once an encoded slash is decoded), an encoded dot, percent or
 * backslash, a backslash, an empty segment or a {@code ;} never matches: a backend that normalises paths differently must not be led elsewhere.
 */
public final class ClientPaths {
  public static final List<String> DEFAULT = List.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings",
      "/v1/models", "/v1/models/*", "/v1/responses", "/v1/responses/*", "/v1/audio/transcriptions",
      "/v1/audio/translations", "/v1/audio/speech", "/v1/rerank", "/v2/rerank", "/rerank", "/v1/score", "/score",
      "/tokenize", "/detokenize");

  private final List<String> defaults;
  private final Map<String, List<String>> perService;

  public ClientPaths(List<String> defaults, Map<String, List<String>> perService) {
    this.defaults = List.copyOf(defaults);
    this.perService = Map.copyOf(perService);
    List<String> all = new ArrayList<>(this.defaults);
    this.perService.values().forEach(all::addAll);
    for (String rule : all) {
      if (!rule.startsWith("/") || (rule.contains("*") && !rule.endsWith("/*")) || rule.indexOf('*') != rule.lastIndexOf('*')) {
        throw new IllegalArgumentException("path rule '" + rule + "' (expected: a path starting with /, optionally"
            + " ending in /* for anything below it, e.g. /v1/chat/completions or /v1/models/*)");
      }
    }
  }

  /** The rules of {@code service}. */
  public List<String> rules(String service) {
    return perService.getOrDefault(service, defaults);
  }

  /** Whether an API key may call {@code path} (raw, as sent) of {@code service}. */
  public boolean allows(String service, String path) {
    if (!clean(path)) {
      return false;
    }
    for (String rule : rules(service)) {
      if (rule.endsWith("/*")) {
        String prefix = rule.substring(0, rule.length() - 1);
        if (path.length() > prefix.length() && path.startsWith(prefix)) {
          return true;
        }
      } else if (rule.equals(path)) {
        return true;
      }
    }
    return false;
  }

  private static boolean clean(String path) {
    if (!path.startsWith("/") || path.contains("//") || path.contains("\\") || path.indexOf(';') >= 0) {
      return false;
    }
    String lower = path.toLowerCase(java.util.Locale.ROOT);
    if (lower.contains("%2e") || lower.contains("%5c") || lower.contains("%00") || lower.contains("%25")) {
      return false;
    }
    // An encoded slash is allowed (model ids such as Qwen%2FQwen3-8B), but judged as the backend may decode it.
    String decoded = lower.replace("%2f", "/");
    if (decoded.contains("//")) {
      return false;
    }
    for (String segment : decoded.split("/", -1)) {
      if (segment.equals(".") || segment.equals("..")) {
        return false;
      }
    }
    return true;
  }
}
