package org.opentela.http;

import java.util.ArrayDeque;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.stream.AbstractShape;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.Shape;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.opentela.ApiError;

/**
 * Watches one HTTP connection from both sides of Pekko's HTTP layer: the bytes to and from the socket,
 * and the requests and responses to and from the routes. Pekko's server has no timeout for a slow
 * request head and cannot tell a route that its client left, so this stage:
 * <ul>
 *   <li>cuts off a client that takes longer than the header timeout, from the first byte of a request, to
 *       send the request's head (slowloris), with a 408;</li>
 *   <li>closes a keep-alive connection after the idle timeout, counted only while no request is in flight
 *       (an LLM may be silent for minutes before its first token; that wait is bounded elsewhere);</li>
 *   <li>fires the {@link ClientGone} of the request in flight when the client closes or resets its
 *       connection before the response (it reads ahead one chunk, so it sees the end of the input even
 *       while the HTTP layer waits for the response);</li>
 *   <li>closes the connection when the server shuts down, after the response in flight.</li>
 * </ul>
 * Every lane passes its elements, completion and cancellation straight through.
 */
final class ConnectionGuard extends GraphStage<ConnectionGuard.GuardShape> {
  private static final String HEADER_TIMER = "header";
  private static final String IDLE_TIMER = "idle";

  /** Four lanes through one stage, so that one piece of single-threaded state sees all of them. */
  static final class GuardShape extends AbstractShape {
    /** From the socket, to Pekko's parser. */
    final Inlet<ByteString> bytesIn;
    final Outlet<ByteString> bytesToParser;
    /** From the parser, to the routes. */
    final Inlet<HttpRequest> requestsIn;
    final Outlet<HttpRequest> requestsOut;
    /** From the routes, to Pekko's renderer. */
    final Inlet<HttpResponse> responsesIn;
    final Outlet<HttpResponse> responsesOut;
    /** From the renderer, to the socket. */
    final Inlet<ByteString> renderedIn;
    final Outlet<ByteString> bytesOut;

    GuardShape(Inlet<ByteString> bytesIn, Outlet<ByteString> bytesToParser, Inlet<HttpRequest> requestsIn,
        Outlet<HttpRequest> requestsOut, Inlet<HttpResponse> responsesIn, Outlet<HttpResponse> responsesOut,
        Inlet<ByteString> renderedIn, Outlet<ByteString> bytesOut) {
      this.bytesIn = bytesIn;
      this.bytesToParser = bytesToParser;
      this.requestsIn = requestsIn;
      this.requestsOut = requestsOut;
      this.responsesIn = responsesIn;
      this.responsesOut = responsesOut;
      this.renderedIn = renderedIn;
      this.bytesOut = bytesOut;
    }

    @Override
    public List<Inlet<?>> allInlets() {
      return List.of(bytesIn, requestsIn, responsesIn, renderedIn);
    }

    @Override
    public List<Outlet<?>> allOutlets() {
      return List.of(bytesToParser, requestsOut, responsesOut, bytesOut);
    }

    @Override
    public Shape deepCopy() {
      return new GuardShape(bytesIn.carbonCopy(), bytesToParser.carbonCopy(), requestsIn.carbonCopy(),
          requestsOut.carbonCopy(), responsesIn.carbonCopy(), responsesOut.carbonCopy(), renderedIn.carbonCopy(),
          bytesOut.carbonCopy());
    }
  }

  private final GuardShape shape = new GuardShape(Inlet.create("guard.bytesIn"), Outlet.create("guard.bytesToParser"),
      Inlet.create("guard.requestsIn"), Outlet.create("guard.requestsOut"), Inlet.create("guard.responsesIn"),
      Outlet.create("guard.responsesOut"), Inlet.create("guard.renderedIn"), Outlet.create("guard.bytesOut"));
  private final HttpSettings settings;
  private final Connections.Handle handle;

  ConnectionGuard(HttpSettings settings, Connections.Handle handle) {
    this.settings = settings;
    this.handle = handle;
  }

  @Override
  public GuardShape shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new Logic();
  }

  private final class Logic extends TimerGraphStageLogic {
    private final GuardShape s = shape;
    /** A chunk read ahead that the parser has not asked for yet. */
    private ByteString pending;
    /** Requests passed to the routes whose responses have not come back. */
    private final ArrayDeque<ClientGone> awaiting = new ArrayDeque<>(2);
    /** A response whose body is still being sent. */
    private boolean streaming;
    private boolean headerTimerArmed;
    private boolean closeWhenIdle;
    private AsyncCallback<NotUsed> entityDone;

    Logic() {
      super(shape);
      setHandler(s.bytesIn, new AbstractInHandler() {
        @Override
        public void onPush() {
          onBytes(grab(s.bytesIn));
        }

        @Override
        public void onUpstreamFinish() {
          clientGone();
          if (pending != null) {
            ByteString last = pending;
            pending = null;
            emit(s.bytesToParser, last, () -> complete(s.bytesToParser));
          } else {
            complete(s.bytesToParser);
          }
        }

        @Override
        public void onUpstreamFailure(Throwable ex) {
          clientGone();
          fail(s.bytesToParser, ex);
        }
      });
      setHandler(s.bytesToParser, new AbstractOutHandler() {
        @Override
        public void onPull() {
          if (pending != null) {
            ByteString chunk = pending;
            pending = null;
            push(s.bytesToParser, chunk);
          }
          readAhead();
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          cancel(s.bytesIn, cause);
        }
      });
      setHandler(s.requestsIn, new AbstractInHandler() {
        @Override
        public void onPush() {
          onRequest(grab(s.requestsIn));
        }

        @Override
        public void onUpstreamFinish() {
          complete(s.requestsOut);
        }

        @Override
        public void onUpstreamFailure(Throwable ex) {
          fail(s.requestsOut, ex);
        }
      });
      setHandler(s.requestsOut, new AbstractOutHandler() {
        @Override
        public void onPull() {
          pull(s.requestsIn);
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          cancel(s.requestsIn, cause);
        }
      });
      setHandler(s.responsesIn, new AbstractInHandler() {
        @Override
        public void onPush() {
          onResponse(grab(s.responsesIn));
        }

        @Override
        public void onUpstreamFinish() {
          complete(s.responsesOut);
        }

        @Override
        public void onUpstreamFailure(Throwable ex) {
          fail(s.responsesOut, ex);
        }
      });
      setHandler(s.responsesOut, new AbstractOutHandler() {
        @Override
        public void onPull() {
          pull(s.responsesIn);
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          clientGone();
          cancel(s.responsesIn, cause);
        }
      });
      setHandler(s.renderedIn, new AbstractInHandler() {
        @Override
        public void onPush() {
          push(s.bytesOut, grab(s.renderedIn));
        }

        @Override
        public void onUpstreamFinish() {
          complete(s.bytesOut);
        }

        @Override
        public void onUpstreamFailure(Throwable ex) {
          fail(s.bytesOut, ex);
        }
      });
      setHandler(s.bytesOut, new AbstractOutHandler() {
        @Override
        public void onPull() {
          if (!isClosed(s.renderedIn) && !hasBeenPulled(s.renderedIn)) {
            pull(s.renderedIn);
          }
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          clientGone();
          cancel(s.renderedIn, cause);
        }
      });
    }

    @Override
    public void preStart() {
      entityDone = createAsyncCallback(x -> onEntityDone());
      handle.attach(createAsyncCallback(x -> onShutdown()));
      readAhead();
      becameIdle();
    }

    @Override
    public void postStop() {
      clientGone();
      handle.detach();
    }

    private void readAhead() {
      if (pending == null && !isClosed(s.bytesIn) && !hasBeenPulled(s.bytesIn)) {
        pull(s.bytesIn);
      }
    }

    private boolean idle() {
      return awaiting.isEmpty() && !streaming;
    }

    private void onBytes(ByteString chunk) {
      if (idle() && !headerTimerArmed) {
        // The first byte of a request: its head must be complete within the header timeout.
        cancelTimer(IDLE_TIMER);
        scheduleOnce(HEADER_TIMER, settings.headerTimeout());
        headerTimerArmed = true;
      }
      if (isAvailable(s.bytesToParser)) {
        push(s.bytesToParser, chunk);
        readAhead();
      } else {
        pending = chunk;
      }
    }

    private void onRequest(HttpRequest req) {
      cancelTimer(HEADER_TIMER);
      cancelTimer(IDLE_TIMER);
      headerTimerArmed = false;
      ClientGone gone = new ClientGone();
      awaiting.add(gone);
      push(s.requestsOut, req.addAttribute(ClientGone.KEY, gone));
    }

    private void onResponse(HttpResponse resp) {
      awaiting.poll();
      HttpResponse out = resp;
      ResponseEntity e = resp.entity();
      if (!(e instanceof HttpEntity.Strict)) {
        streaming = true;
        out = resp.withEntity(watched(e));
      }
      if (closeWhenIdle) {
        out = out.addHeader(Connection.create("close"));
      }
      push(s.responsesOut, out);
      becameIdle();
    }

    /** {@code e} reporting the end of its bytes to this stage, with its length and kind kept. */
    private ResponseEntity watched(ResponseEntity e) {
      Flow<ByteString, ByteString, NotUsed> watch = Flow.<ByteString>create().watchTermination((m, done) -> {
        done.whenComplete((d, err) -> entityDone.invoke(NotUsed.getInstance()));
        return NotUsed.getInstance();
      });
      if (e instanceof HttpEntity.Default d) {
        return HttpEntities.create(d.getContentType(), d.getContentLength(), d.getDataBytes().via(watch));
      }
      if (e instanceof HttpEntity.CloseDelimited) {
        return HttpEntities.createCloseDelimited(e.getContentType(), e.getDataBytes().via(watch));
      }
      return HttpEntities.createChunked(e.getContentType(), e.getDataBytes().via(watch));
    }

    private void onEntityDone() {
      streaming = false;
      becameIdle();
    }

    private void becameIdle() {
      if (!idle()) {
        return;
      }
      if (closeWhenIdle) {
        completeStage();
        return;
      }
      if (!headerTimerArmed) {
        scheduleOnce(IDLE_TIMER, settings.idleTimeout());
      }
    }

    private void onShutdown() {
      closeWhenIdle = true;
      if (idle()) {
        completeStage();
      }
    }

    @Override
    public void onTimer(Object key) {
      if (IDLE_TIMER.equals(key)) {
        if (idle()) {
          completeStage();
        }
      } else if (HEADER_TIMER.equals(key) && idle()) {
        handle.headerTimedOut();
        String id = RequestIds.generate();
        ByteString answer = RawResponses.closing(ApiError.REQUEST_HEADER_TIMEOUT.with(
            settings.headerTimeout().toMillis()), id);
        cancel(s.renderedIn);
        emit(s.bytesOut, answer, this::completeStage);
      }
    }

    /** The client left: whoever waits on a request in flight can stop. */
    private void clientGone() {
      ClientGone g;
      while ((g = awaiting.poll()) != null) {
        g.fire();
      }
    }
  }
}
