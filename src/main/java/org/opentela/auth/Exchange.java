package org.opentela.auth;

import java.util.List;
import org.opentela.ApiError;

/**
 * One request of an identified caller, from admission to its end: the model check, the key's limits, and
 * at the end the release of its slot and the usage it recorded. {@link #finish} counts once, whichever
 * way the request ends first (a response, a stream's end, a failure).
 */
public final class Exchange {
  private final Access access;
  private final ApiKey key;
  private String model;
  private Ticket ticket = Ticket.NONE;
  private Decision.RateHeaders headers = Decision.RateHeaders.NONE;
  private long retryAfterSeconds;
  private boolean finished;

  Exchange(Access access, ApiKey key) {
    this.access = access;
    this.key = key;
  }

  /** Whether the caller used the admin key. */
  public boolean admin() {
    return key == null;
  }

  /** Whether the caller may name {@code model} (the admin key may name any). */
  public boolean allows(String model) {
    return key == null || key.limits().allows(model);
  }

  /**
   * Admits the request for {@code model} (null when it names none): null when it may go, else the
   * client's error (see {@link #rateHeaders()} and {@link #retryAfterSeconds()} for a 429).
   */
  public ApiError.Problem admit(String model) {
    this.model = model;
    if (key == null) {
      return null;
    }
    if (!key.limits().allows(model)) {
      return ApiError.MODEL_NOT_ALLOWED.with(key.name(), model == null ? "(none named)" : model, key.limits().models());
    }
    Decision d = access.limiter().admit(key);
    if (d instanceof Decision.Admitted a) {
      ticket = a.ticket();
      headers = a.headers();
      return null;
    }
    Decision.Refused r = (Decision.Refused) d;
    headers = r.headers();
    retryAfterSeconds = Math.max(1, (r.retryAfterNanos() + 999_999_999L) / 1_000_000_000L);
    return ApiError.RATE_LIMIT_EXCEEDED.with(key.name(), r.reason().text(), r.limit(), r.used(),
        Decision.duration(r.retryAfterNanos()));
  }

  /** OpenAI's {@code x-ratelimit-*} headers for the key's limits, as name, value pairs. */
  public List<String> rateHeaders() {
    return headers.pairs();
  }

  /** For a refused request: whole seconds until it may be tried again (the {@code Retry-After}). */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  /** The request is over: answered {@code status}, used {@code usage}; an error if {@code error} or 4xx/5xx. */
  public void finish(int status, TokenUsage usage, boolean error) {
    synchronized (this) {
      if (finished) {
        return;
      }
      finished = true;
    }
    access.limiter().release(ticket, usage.total());
    access.usage().record(key == null ? UsageCounts.ADMIN : key.id(), model, usage, error || status >= 400);
  }
}
