package org.opentela.sim;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

/**
 * One model's simulated inference engine, as vLLM's scheduler sees it: at most {@code max-num-seqs}
 * requests run at once, the others wait in FIFO order. Thread-safe: the HTTP handler and the token timers
 * of many requests call it concurrently, so slot accounting is one short critical section and nothing in
 * it blocks.
 */
final class Engine {
  private final String model;
  private final LatencyModel latency;
  private final PrefixCache prefixCache;
  private final int maxNumSeqs;
  private final ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
  private int running; // guarded by this

  private final LongAdder received = new LongAdder();
  private final LongAdder completed = new LongAdder();
  private final LongAdder cancelled = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder promptTokens = new LongAdder();
  private final LongAdder generatedTokens = new LongAdder();

  /** An engine without prefix caching. */
  Engine(String model, LatencyModel latency) {
    this(model, latency, new PrefixCache(0));
  }

  Engine(String model, LatencyModel latency, PrefixCache prefixCache) {
    this.model = model;
    this.latency = latency;
    this.prefixCache = prefixCache;
    this.maxNumSeqs = latency.maxNumSeqs();
  }

  String model() {
    return model;
  }

  LatencyModel latency() {
    return latency;
  }

  PrefixCache prefixCache() {
    return prefixCache;
  }

  /**
   * Accepts a request: the returned ticket completes when it holds a sequence slot, at once if one is
   * free. Its holder must later {@link #release()} the slot, or {@link #withdraw} the ticket.
   */
  CompletableFuture<Void> admit(int promptTokenCount) {
    received.increment();
    promptTokens.add(promptTokenCount);
    synchronized (this) {
      if (running < maxNumSeqs) {
        running++;
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> ticket = new CompletableFuture<>();
      waiting.addLast(ticket);
      return ticket;
    }
  }

  /** Removes a waiting ticket; false if it was already given a slot (which its holder must release). */
  synchronized boolean withdraw(CompletableFuture<Void> ticket) {
    return waiting.remove(ticket);
  }

  /** Frees a slot: the longest-waiting request, if any, takes it over. */
  void release() {
    CompletableFuture<Void> next;
    synchronized (this) {
      next = waiting.pollFirst();
      if (next == null) {
        running--;
      }
    }
    // Outside the lock: completing the ticket runs the next request's first steps on this thread.
    if (next != null) {
      next.complete(null);
    }
  }

  /** Requests generating besides the caller, which must hold a slot. */
  synchronized int othersRunning() {
    return Math.max(0, running - 1);
  }

  void recordCompleted() {
    completed.increment();
  }

  void recordCancelled() {
    cancelled.increment();
  }

  void recordFailed() {
    failed.increment();
  }

  void recordGenerated(int tokens) {
    generatedTokens.add(tokens);
  }

  SimStats stats() {
    int r;
    int w;
    synchronized (this) {
      r = running;
      w = waiting.size();
    }
    return new SimStats(received.sum(), r, w, completed.sum(), cancelled.sum(), failed.sum(), promptTokens.sum(),
        generatedTokens.sum());
  }
}
