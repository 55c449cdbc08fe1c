package org.opentela;

import java.util.concurrent.Executor;

/**
 * Runs continuations of futures at once, on the thread that completes them. For short, non-blocking
 * steps on the request path only. This is the one place that says why the request path names an executor
 * for every continuation; the measurements are in bench/results.md.
 *
 * <p>Pekko's Java API hands out Scala's {@code CompletionStage} wrapper, which runs every plain
 * {@code thenApply}/{@code thenCompose}/{@code whenComplete} as its {@code ...Async} twin on the JDK's
 * default executor, the common pool. On a machine with few cores the common pool has one thread or none,
 * and the default executor then starts a new thread per task: several per proxied request, each adding
 * latency. So the request path passes this executor (or, for steps that may take longer, the actor
 * system's dispatcher) to the {@code ...Async} variant, and rendering a reply happens on the thread that
 * delivered it instead of being handed over. {@code node/Main} widens the common pool on small machines as
 * a safety net for every other continuation (probes, llm-sim, drain).
 */
public final class SameThread {
  public static final Executor EXECUTOR = Runnable::run;

  private SameThread() {}
}
