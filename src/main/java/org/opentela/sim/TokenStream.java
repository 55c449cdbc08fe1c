package org.opentela.sim;

import java.util.function.Function;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * The body of a streamed answer: starts a {@link Generation} when the HTTP layer materializes it and emits
 * the {@link SseEvents} of the tokens generated so far whenever the client can take them (tokens that pile
 * up behind a slow client go out together). When the client goes away (its {@link ClientConnection}
 * closes, or Pekko HTTP cancels this source) the generation is cancelled: its slot is freed and it counts
 * as cancelled.
 */
final class TokenStream extends GraphStage<SourceShape<ByteString>> {
  private final Outlet<ByteString> out = Outlet.create("llm-sim.tokens");
  private final SourceShape<ByteString> shape = SourceShape.of(out);
  private final Function<Generation.Listener, Generation> generations;
  private final SseEvents events;
  private final ClientConnection connection;

  /**
   * {@code generations} creates the request's generation, reporting to the listener it is given; when the
   * client closes {@code connection}, the stream ends and the generation is cancelled.
   */
  TokenStream(Function<Generation.Listener, Generation> generations, SseEvents events, ClientConnection connection) {
    this.generations = generations;
    this.events = events;
    this.connection = connection;
  }

  @Override
  public SourceShape<ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      private Generation generation;
      private Runnable unregister;
      private int generated;
      private int sent;

      {
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            emitReady();
          }
        });
      }

      @Override
      public void preStart() {
        AsyncCallback<Integer> progress = createAsyncCallback(count -> {
          generated = Math.max(generated, count);
          emitReady();
        });
        AsyncCallback<Void> clientGone = createAsyncCallback(nothing -> completeStage());
        generation = generations.apply((count, finished) -> progress.invoke(count));
        unregister = connection.onClose(() -> clientGone.invoke(null));
        generation.start();
      }

      private void emitReady() {
        if (sent < generated && isAvailable(out)) {
          ByteString chunk = events.render(sent, generated, generation.cachedTokens());
          sent = generated;
          push(out, chunk);
          if (sent == events.tokens()) {
            completeStage();
          }
        }
      }

      @Override
      public void postStop() {
        // No-op when the generation finished; otherwise the client left (or the connection failed) first.
        if (generation != null) {
          unregister.run();
          generation.cancel();
        }
      }
    };
  }
}
