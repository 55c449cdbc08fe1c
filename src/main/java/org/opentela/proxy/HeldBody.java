package org.opentela.proxy;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * A backend request's body that stays open until its exchange ends: it emits {@code body}, then completes
 * when {@code hold} completes, or fails with {@code hold}'s failure, which closes the backend connection
 * (how an aborted request stops the backend's work; see {@link BackendClient}). {@code hold}'s value is not
 * emitted. One stage where {@code Source.single(body).concat(Source.completionStage(hold))} built a graph of
 * three per request: building and materializing it was ~6 % of a worker's CPU under load (bench/jfr-top).
 */
final class HeldBody extends GraphStage<SourceShape<ByteString>> {
  private final Outlet<ByteString> out = Outlet.create("HeldBody.out");
  private final SourceShape<ByteString> shape = SourceShape.of(out);
  private final ByteString body;
  private final CompletionStage<?> hold;

  HeldBody(ByteString body, CompletionStage<?> hold) {
    this.body = body;
    this.hold = hold;
  }

  @Override
  public SourceShape<ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attrs) {
    return new GraphStageLogic(shape) {
      private boolean sent = body.isEmpty();

      {
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            if (!sent) {
              sent = true;
              push(out, body);
            }
          }
        });
      }

      @Override
      public void preStart() {
        AsyncCallback<Throwable> ended = createAsyncCallback(this::onHoldEnded);
        hold.whenComplete((v, err) -> ended.invoke(err));
      }

      /** {@code err}: null when the exchange ended normally. */
      private void onHoldEnded(Throwable err) {
        if (err != null) {
          failStage(err);
        } else if (sent) {
          completeStage();
        } else {
          sent = true;
          emit(out, body, this::completeStage);
        }
      }
    };
  }
}
