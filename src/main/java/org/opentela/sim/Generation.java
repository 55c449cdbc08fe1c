package org.opentela.sim;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;

/**
 * One request's token generation on an {@link Engine}: wait for a sequence slot, then produce
 * {@code tokens} tokens with the delays of the engine's {@link LatencyModel}, each on a {@link TokenClock}
 * timer (never a sleeping thread). Each token is due a delay after the previous one was due (not after its
 * timer ran), so timer overshoot never accumulates over an answer. Tokens already due are produced at
 * once, so a zero-latency request finishes inside {@link #start()}.
 *
 * <p>When it gets its slot it looks its prompt up in the engine's {@link PrefixCache}: only the uncached
 * tokens add prefill time to the first token, and once that token is out the prompt's blocks are cached.
 *
 * <p>Ends exactly once: completed after the last token (slot released, listener told), or
 * {@link #cancel() cancelled} before it (slot released or ticket withdrawn, timer cancelled, listener not
 * told). Thread-safe: timers, the admitting thread and a cancelling client may race.
 */
final class Generation {
  /** Told of progress; called outside any lock, on a scheduler or HTTP thread. */
  interface Listener {
    /** {@code generated} tokens exist now; {@code finished} once they are all there. Must not block. */
    void onProgress(int generated, boolean finished);
  }

  private final Engine engine;
  private final int tokens;
  private final Prompt prompt;
  private final TokenClock clock;
  private final Listener listener;

  private CompletableFuture<Void> ticket; // guarded by this
  private boolean admitted; // guarded by this
  private boolean over; // guarded by this: completed or cancelled
  private int generated; // guarded by this
  private long due; // guarded by this: when token `generated` is due, in clock nanos
  private Future<?> timer; // guarded by this
  private int cachedTokens; // guarded by this: prompt tokens found in the prefix cache at admission

  Generation(Engine engine, int tokens, Prompt prompt, TokenClock clock, Listener listener) {
    this.engine = engine;
    this.tokens = tokens;
    this.prompt = prompt;
    this.clock = clock;
    this.listener = listener;
  }

  /** A generation whose prompt shares no block with any other. */
  Generation(Engine engine, int tokens, int promptTokens, TokenClock clock, Listener listener) {
    this(engine, tokens, Prompt.unhashed(promptTokens), clock, listener);
  }

  /** Prompt tokens the engine found in its prefix cache (0 until admitted): usage's {@code cached_tokens}. */
  synchronized int cachedTokens() {
    return cachedTokens;
  }

  /** Joins the engine's queue; generation starts when a slot is free (possibly before this returns). */
  void start() {
    CompletableFuture<Void> t = engine.admit(prompt.tokens());
    synchronized (this) {
      ticket = t;
    }
    if (t.isDone()) {
      onAdmitted();
    } else {
      // Granted later, on the thread of the request that finished: continue on the clock's thread, so that
      // a queue of instant requests handing the slot on does not nest them all on one stack.
      t.thenRun(() -> {
        try {
          clock.schedule(0, this::onAdmitted);
        } catch (RejectedExecutionException e) {
          // The sim is closing and its clock is stopped; nothing runs any more.
        }
      });
    }
  }

  /** The client went away: stop generating and give the slot (or the queue place) back. Idempotent. */
  void cancel() {
    boolean holdsSlot;
    CompletableFuture<Void> t;
    synchronized (this) {
      if (over) {
        return;
      }
      over = true;
      if (timer != null) {
        timer.cancel(false);
      }
      holdsSlot = admitted;
      t = ticket;
    }
    engine.recordCancelled();
    if (holdsSlot) {
      engine.release();
    } else if (t != null) {
      // If the ticket is no longer queued, its slot was granted concurrently: onAdmitted sees `over` and
      // releases it.
      engine.withdraw(t);
    }
  }

  private void onAdmitted() {
    boolean cancelledMeanwhile;
    synchronized (this) {
      cancelledMeanwhile = over;
      admitted = !over;
      due = clock.nanoTime();
    }
    if (cancelledMeanwhile) {
      engine.release();
      return;
    }
    int cached = engine.prefixCache().lookup(prompt);
    synchronized (this) {
      cachedTokens = cached;
    }
    advance(false);
  }

  /**
   * Produces the token that was due (if {@code tokenDue}) and every following one already due, then
   * schedules the next or finishes.
   */
  private void advance(boolean tokenDue) {
    int produced;
    int count;
    boolean finished;
    synchronized (this) {
      if (over) {
        return;
      }
      int before = generated;
      if (tokenDue) {
        generated++;
      }
      long delay = 0;
      long now = clock.nanoTime();
      while (generated < tokens) {
        due += engine.latency().delayNanos(generated, engine.othersRunning(), prompt.tokens() - cachedTokens);
        delay = due - now;
        if (delay > 0) {
          break;
        }
        generated++;
      }
      finished = generated == tokens;
      if (finished) {
        over = true;
        timer = null;
      } else {
        try {
          timer = clock.schedule(delay, () -> advance(true));
        } catch (RejectedExecutionException e) {
          // The sim is closing and its clock is stopped: this generation ends with it, unfinished.
          over = true;
          return;
        }
      }
      produced = generated - before;
      count = generated;
    }
    if (produced > 0) {
      engine.recordGenerated(produced);
      if (count == produced) {
        engine.prefixCache().insert(prompt); // the first token is out: the prefill is done
      }
    }
    if (finished) {
      engine.recordCompleted();
      engine.release();
    }
    if (produced > 0 || finished) {
      listener.onProgress(count, finished);
    }
  }
}
