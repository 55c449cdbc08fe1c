package org.opentela.auth;

import java.util.ArrayList;
import java.util.List;

/** The limiter's answer for one request. */
public sealed interface Decision {
  /** The request may go; release {@code ticket} when it is over. */
  record Admitted(Ticket ticket, RateHeaders headers) implements Decision {}

  /** Over a limit: {@code used} of {@code limit} on {@code limit}, free again in {@code retryAfterNanos}. */
  record Refused(Limit reason, long limit, long used, long retryAfterNanos, RateHeaders headers)
      implements Decision {}

  /** Which limit refused a request. */
  enum Limit {
    REQUESTS("requests per minute (RPM)"),
    TOKENS("tokens per minute (TPM)"),
    PARALLEL("requests in flight (max parallel)");

    private final String text;

    Limit(String text) {
      this.text = text;
    }

    public String text() {
      return text;
    }
  }

  /**
   * OpenAI's rate-limit headers: limit, remaining and time to a full window for requests and for tokens;
   * a limit of 0 (unset) leaves its three headers out.
   */
  record RateHeaders(long limitRequests, long remainingRequests, long resetRequestsNanos, long limitTokens,
      long remainingTokens, long resetTokensNanos) {
    static final RateHeaders NONE = new RateHeaders(0, 0, 0, 0, 0, 0);

    /** The headers as name, value pairs. */
    public List<String> pairs() {
      List<String> out = new ArrayList<>(12);
      if (limitRequests > 0) {
        out.add("x-ratelimit-limit-requests");
        out.add(Long.toString(limitRequests));
        out.add("x-ratelimit-remaining-requests");
        out.add(Long.toString(Math.max(0, remainingRequests)));
        out.add("x-ratelimit-reset-requests");
        out.add(duration(resetRequestsNanos));
      }
      if (limitTokens > 0) {
        out.add("x-ratelimit-limit-tokens");
        out.add(Long.toString(limitTokens));
        out.add("x-ratelimit-remaining-tokens");
        out.add(Long.toString(Math.max(0, remainingTokens)));
        out.add("x-ratelimit-reset-tokens");
        out.add(duration(resetTokensNanos));
      }
      return out;
    }
  }

  /** A duration as OpenAI writes them: {@code 0s}, {@code 250ms}, {@code 1.5s}, {@code 1m1s}. */
  static String duration(long nanos) {
    long ms = Math.max(0, (nanos + 999_999) / 1_000_000);
    if (ms == 0) {
      return "0s";
    }
    if (ms < 1000) {
      return ms + "ms";
    }
    long minutes = ms / 60_000;
    long rest = ms % 60_000;
    // Plain arithmetic, not String.format: this runs for every response of a key with limits.
    StringBuilder sb = new StringBuilder(12);
    if (minutes > 0) {
      sb.append(minutes).append('m');
    }
    sb.append(rest / 1000);
    long frac = rest % 1000;
    if (frac != 0) {
      sb.append('.');
      if (frac < 100) {
        sb.append('0');
      }
      if (frac < 10) {
        sb.append('0');
      }
      int len = sb.length();
      sb.append(frac);
      while (sb.charAt(sb.length() - 1) == '0' && sb.length() > len) {
        sb.setLength(sb.length() - 1);
      }
    }
    return sb.append('s').toString();
  }
}
