package org.opentela;

import java.util.concurrent.Executor;

/**
 * Runs continuations of Pekko futures at once, on the thread that completes them. For short, non-blocking
 * steps on the request path only.
 *
 * <p>Why it exists: Pekko's Java API hands out Scala's {@code CompletionStage} wrapper, which runs every
 * plain {@code thenApply}/{@code thenCompose}/{@code whenComplete} as its {@code ...Async} twin on the JDK's
 * default executor. On a machine with 2 cores or fewer that executor starts a new thread per task: three
 * or more threads per proxied request, 4-13 ms of added latency and ~140 requests/s (bench/run). Passing
 * this executor (or the actor system's dispatcher) to the {@code ...Async} variant avoids the hop.
 */
public final class SameThread {
  public static final Executor EXECUTOR = Runnable::run;

  private SameThread() {}
}
