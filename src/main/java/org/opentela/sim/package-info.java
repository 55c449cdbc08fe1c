/**
 * {@code otela llm-sim}: the built-in simulated OpenAI-compatible backend with vLLM's wire format, for
 * demos, tests and benchmarks. {@link org.opentela.sim.LlmSim} runs or embeds it, configured by
 * {@link org.opentela.sim.SimSettings}; {@link org.opentela.sim.SimStats} reports what it did. Inside:
 * one {@code Engine} per model (slots, queue and {@code PrefixCache}), a {@code Generation} per request on
 * {@code TokenClock} timers timed by the {@code LatencyModel}, and the HTTP handler with pre-rendered answers and SSE
 * templates, which aborts a request when its {@code ClientConnection} closes.
 */
package org.opentela.sim;
