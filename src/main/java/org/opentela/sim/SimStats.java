package org.opentela.sim;

/**
 * A snapshot of a simulator's request counters, for tests and benchmarks. Every request the simulator
 * accepts for generation is {@code received}; it then waits, runs, and ends exactly once as
 * {@code completed} (all tokens generated) or {@code cancelled} (the client went away first).
 * {@code failed} counts requests answered 500 by the fail-rate, which never run.
 *
 * @param received requests accepted for generation
 * @param running requests generating now
 * @param waiting requests waiting for a free sequence slot
 * @param completed requests whose generation finished
 * @param cancelled requests whose client closed the connection before the generation finished
 * @param failed requests answered 500 by --fail-rate
 * @param promptTokens prompt tokens of received requests
 * @param generatedTokens tokens generated so far
 */
public record SimStats(long received, int running, int waiting, long completed, long cancelled, long failed,
    long promptTokens, long generatedTokens) {

  static final SimStats ZERO = new SimStats(0, 0, 0, 0, 0, 0, 0, 0);

  SimStats plus(SimStats o) {
    return new SimStats(received + o.received, running + o.running, waiting + o.waiting,
        completed + o.completed, cancelled + o.cancelled, failed + o.failed, promptTokens + o.promptTokens,
        generatedTokens + o.generatedTokens);
  }
}
