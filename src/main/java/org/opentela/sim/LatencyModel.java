package org.opentela.sim;

/**
 * How long a simulated token takes, given how busy the model's engine is and how much of the prompt it must
 * compute. With {@code N} = max-num-seqs, {@code r} = the other requests generating on the same model at
 * that moment ({@code 0 <= r < N}) and {@code u} = the prompt tokens not found in the prefix cache:
 *
 * <pre>
 *   time to first token   ttft(r, u) = (ttft-ms + prefill-ms-per-1k * u / 1000) * (1 + r / N)
 *                                                           (prefill shares the GPU with r decodes)
 *   delay between tokens  itl(r)     = itl-ms * (1 + 0.5 * r / N)   (a bigger decode batch is a bit slower)
 * </pre>
 *
 * <p>The first token's delay is evaluated when the request is admitted, each later one when the previous
 * token is out, so a request slows down and speeds up as others start and finish. A full engine
 * ({@code N} running) admits no more: new requests wait in FIFO order (vllm:num_requests_waiting), and
 * their time to first token is that wait plus {@code ttft(r, u)}. So a request alone with a fully cached
 * prompt takes {@code ttft-ms + (tokens - 1) * itl-ms}, and at most twice (first token) or 1.5 times
 * (others) that under load.
 */
record LatencyModel(int ttftMs, int itlMs, int maxNumSeqs, int prefillMsPer1k) {

  /** A model whose time to first token does not depend on the prompt. */
  LatencyModel(int ttftMs, int itlMs, int maxNumSeqs) {
    this(ttftMs, itlMs, maxNumSeqs, 0);
  }

  /** Delay in nanoseconds before token {@code index} (0 = the first token), with {@code others} running. */
  long delayNanos(int index, int others) {
    return delayNanos(index, others, 0);
  }

  /** As {@link #delayNanos(int, int)}, for a prompt with {@code uncachedTokens} tokens to prefill. */
  long delayNanos(int index, int others, int uncachedTokens) {
    double load = (double) others / maxNumSeqs;
    double ms = index == 0 ? (ttftMs + prefillMsPer1k * (uncachedTokens / 1000.0)) * (1 + load)
        : itlMs * (1 + 0.5 * load);
    return Math.round(ms * 1_000_000);
  }
}
