package org.opentela.sim;

/**
 * How long a simulated token takes, given how busy the model's engine is. With {@code N} = max-num-seqs
 * and {@code r} = the other requests generating on the same model at that moment ({@code 0 <= r < N}):
 *
 * <pre>
 *   time to first token   ttft(r) = ttft-ms * (1 + r / N)        (prefill shares the GPU with r decodes)
 *   delay between tokens  itl(r)  = itl-ms  * (1 + 0.5 * r / N)  (a bigger decode batch is a bit slower)
 * </pre>
 *
 * <p>The first token's delay is evaluated when the request is admitted, each later one when the previous
 * token is out, so a request slows down and speeds up as others start and finish. A full engine
 * ({@code N} running) admits no more: new requests wait in FIFO order (vllm:num_requests_waiting), and
 * their time to first token is that wait plus {@code ttft(r)}. So a request alone takes
 * {@code ttft-ms + (tokens - 1) * itl-ms}, and at most twice (first token) or 1.5 times (others) that.
 */
record LatencyModel(int ttftMs, int itlMs, int maxNumSeqs) {

  /** Delay in nanoseconds before token {@code index} (0 = the first token), with {@code others} running. */
  long delayNanos(int index, int others) {
    double load = (double) others / maxNumSeqs;
    double ms = index == 0 ? ttftMs * (1 + load) : itlMs * (1 + 0.5 * load);
    return Math.round(ms * 1_000_000);
  }
}
