package org.opentela.routing;

import java.util.List;
import java.util.Locale;

/**
 * What ties a request to a worker under the {@code cache-aware} policy: the session it names, and the
 * start of its prompt.
 *
 * <p>The session is the first non-blank of: the {@code X-Session-Id} header, the {@code X-Session-Affinity}
 * header (the original's), the body's {@code prompt_cache_key} (OpenAI's), the body's {@code user}. Only its
 * hash is kept, computed the same on every head, so every head sends a session to the same worker. The
 * prompt's block hashes are scoped by service and model, so that equal prompts to different models never
 * meet in this head's prefix index.
 */
public final class Affinity {
  public static final Affinity NONE = new Affinity(false, 0, new long[0]);
  /** Longer session keys are cut: a key is an identifier, not a payload. */
  static final int MAX_SESSION_CHARS = 256;
  static final List<String> SESSION_HEADERS = List.of("x-session-id", "x-session-affinity");
  static final List<String> SESSION_FIELDS = List.of("prompt_cache_key", "user");
  /**
   * Mixed into every prompt block's key: the prefix index is this head's own, so its keys need not match
   * another head's, and a client cannot precompute prompts whose keys collide with another's.
   */
  private static final long PREFIX_SEED = new java.security.SecureRandom().nextLong();

  private final boolean hasSession;
  private final long session;
  private final long[] prefix;

  private Affinity(boolean hasSession, long session, long[] prefix) {
    this.hasSession = hasSession;
    this.session = session;
    this.prefix = prefix;
  }

  /**
   * The affinity of a request to {@code service} with these match fields and end-to-end headers (name,
   * value pairs, as in {@link org.opentela.proxy.ProxyRequest#headers()}).
   */
  public static Affinity of(String service, MatchFields fields, List<String> headers) {
    String key = sessionKey(fields, headers);
    PromptPrefix p = fields.prefix();
    long[] scoped = new long[p.blocks()];
    if (scoped.length > 0) {
      String model = fields.strings().get(ProviderIndex.MODEL_KEY);
      long scope = PREFIX_SEED ^ (hash64(service == null ? "" : service) * 31 + hash64(model == null ? "" : model));
      for (int i = 0; i < scoped.length; i++) {
        scoped[i] = PromptPrefix.mix(p.chain(i) ^ scope);
      }
    }
    if (key == null && scoped.length == 0) {
      return NONE;
    }
    return new Affinity(key != null, key == null ? 0 : hash64(key), scoped);
  }

  /** The session key this request names, or null. */
  static String sessionKey(MatchFields fields, List<String> headers) {
    for (String name : SESSION_HEADERS) {
      for (int i = 0; i + 1 < headers.size(); i += 2) {
        if (headers.get(i).length() == name.length() && headers.get(i).toLowerCase(Locale.ROOT).equals(name)) {
          String v = usable(headers.get(i + 1));
          if (v != null) {
            return v;
          }
        }
      }
    }
    for (String field : SESSION_FIELDS) {
      String v = usable(fields.strings().get(field));
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  private static String usable(String v) {
    if (v == null || v.isBlank()) {
      return null;
    }
    String t = v.trim();
    return t.length() > MAX_SESSION_CHARS ? t.substring(0, MAX_SESSION_CHARS) : t;
  }

  public boolean hasSession() {
    return hasSession;
  }

  /** The session key's hash (meaningful only if {@link #hasSession()}). */
  public long session() {
    return session;
  }

  /** How many prompt blocks the request has. */
  public int prefixBlocks() {
    return prefix.length;
  }

  /** The scoped hash of the first {@code i + 1} prompt blocks. */
  public long prefix(int i) {
    return prefix[i];
  }

  /** A 64-bit hash of a string, the same in every JVM (FNV-1a over its UTF-16 units, then mixed). */
  static long hash64(CharSequence s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < s.length(); i++) {
      h = (h ^ s.charAt(i)) * 0x100000001b3L;
    }
    return PromptPrefix.mix(h);
  }

  @Override
  public String toString() {
    return "Affinity(" + (hasSession ? "session " + Long.toHexString(session) + ", " : "") + prefix.length
        + " prompt blocks)";
  }
}
