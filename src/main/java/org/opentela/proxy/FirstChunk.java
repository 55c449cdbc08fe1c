package org.opentela.proxy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.util.ByteString;

/**
 * Takes a streamed response's first chunk out of the stream when it arrives within {@code window} of the
 * start, so that it can travel inline with the response headers ({@link ProxyReply.Streamed} with a
 * head); every later chunk (or the first, if it came late or is larger than {@code maxInline}) passes
 * through. Its materialized value completes once with the chunk taken out, or an empty one when none was.
 *
 * <p>Why: the bytes of a stream for another node travel behind a stream ref, which sends nothing before
 * the requester has subscribed (one more round trip after the headers). When a backend sends its first
 * chunk with its headers, that round trip would sit on the time to the first token. The stage pulls
 * its first element at once (the ref would not) and runs in the ref's own graph, so later chunks take no
 * extra hand-over. The window bounds how long the headers wait for a first chunk that is not there yet;
 * the ref's handshake then still happens while the backend is working on it.
 */
final class FirstChunk extends AbstractGraphStageWithMaterializedValue<FlowShape<ByteString, ByteString>,
    CompletionStage<ByteString>> {
  /** The window's timer: Pekko's scheduler would round a few milliseconds up to its tick. */
  private static final ScheduledExecutorService TIMER = timer();

  private final Inlet<ByteString> in = Inlet.create("FirstChunk.in");
  private final Outlet<ByteString> out = Outlet.create("FirstChunk.out");
  private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
  private final Duration window;
  private final int maxInline;

  FirstChunk(Duration window, int maxInline) {
    this.window = window;
    this.maxInline = maxInline;
  }

  private static ScheduledExecutorService timer() {
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
      Thread th = new Thread(r, "otela-first-chunk");
      th.setDaemon(true);
      return th;
    });
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  @Override
  public FlowShape<ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public Pair<GraphStageLogic, CompletionStage<ByteString>> createLogicAndMaterializedValuePair(Attributes attrs) {
    CompletableFuture<ByteString> taken = new CompletableFuture<>();
    GraphStageLogic logic = new GraphStageLogic(shape) {
      /** Whether the head was decided (taken out, or given up on): from then on, a plain pass-through. */
      private boolean decided;
      private ScheduledFuture<?> timeout;

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            ByteString chunk = grab(in);
            if (!decided && chunk.size() <= maxInline) {
              decide(chunk);
              if (isAvailable(out)) {
                pull(in);
              }
              return;
            }
            decide(ByteString.emptyByteString());
            emit(out, chunk); // pushes now if the reader asked, else when it does
          }

          @Override
          public void onUpstreamFinish() {
            decide(ByteString.emptyByteString());
            complete(out); // after a chunk still being emitted, if any
          }

          @Override
          public void onUpstreamFailure(Throwable ex) {
            decide(ByteString.emptyByteString());
            failStage(ex);
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            if (decided && !hasBeenPulled(in) && !isClosed(in)) {
              pull(in);
            }
          }
        });
      }

      @Override
      public void preStart() {
        AsyncCallback<Boolean> late = createAsyncCallback(x -> decide(ByteString.emptyByteString()));
        pull(in);
        timeout = TIMER.schedule(() -> late.invoke(Boolean.TRUE), window.toNanos(), TimeUnit.NANOSECONDS);
      }

      private void decide(ByteString head) {
        if (decided) {
          return;
        }
        decided = true;
        if (timeout != null) {
          timeout.cancel(false);
        }
        taken.complete(head);
      }

      @Override
      public void postStop() {
        if (!decided) {
          decided = true;
          if (timeout != null) {
            timeout.cancel(false);
          }
          taken.complete(ByteString.emptyByteString());
        }
      }
    };
    return Pair.create(logic, taken);
  }
}
