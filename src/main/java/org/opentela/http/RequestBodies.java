package org.opentela.http;

import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SystemMaterializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.opentela.ApiError;
import org.opentela.SameThread;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads request bodies whole (routing matches on them, and a retry resends them), bounded by
 * {@code --http.max_body}: a larger body is answered 413 without reading it when its length is declared.
 */
final class RequestBodies {
  private static final Logger log = LoggerFactory.getLogger(RequestBodies.class);
  private static final long READ_TIMEOUT_MS = 120_000;

  /** The body is larger than allowed; {@code size} says how large, as far as it is known. */
  static final class TooLarge extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String size;

    TooLarge(String size) {
      super(size, null, false, false);
      this.size = size;
    }
  }

  private final Materializer materializer;
  private final long maxBody;

  RequestBodies(ActorSystem<?> system, long maxBody) {
    this.materializer = SystemMaterializer.get(system).materializer();
    this.maxBody = maxBody;
  }

  CompletionStage<ByteString> read(HttpRequest req) {
    RequestEntity e = req.entity();
    OptionalLong len = e.getContentLengthOption();
    if (len.isPresent() && len.getAsLong() > maxBody) {
      e.discardBytes(materializer);
      return CompletableFuture.failedFuture(new TooLarge(len.getAsLong() + " bytes"));
    }
    if (e instanceof HttpEntity.Strict strict) {
      return CompletableFuture.completedFuture(strict.getData());
    }
    if (len.isPresent()) {
      // Its length declared (and within the limit, checked above): one array of that size, filled as the
      // bytes arrive. A builder's chunks would be copied whole again by each reader that needs one array (the
      // JSON scan, the inline cluster message) — two to three copies of a 2 MB body (issue 17).
      return e.getDataBytes()
          .completionTimeout(java.time.Duration.ofMillis(READ_TIMEOUT_MS))
          .runWith(Sink.fold(new Filled((int) len.getAsLong()), Filled::add), materializer)
          .thenApplyAsync(Filled::result, SameThread.EXECUTOR);
    }
    // A body of unknown length is read to its end even past the limit (up to twice it), so that the client
    // gets a clean 413 instead of a connection reset while it is still sending.
    return e.getDataBytes()
        .completionTimeout(java.time.Duration.ofMillis(READ_TIMEOUT_MS))
        .runWith(Sink.fold(new Accumulated(maxBody), Accumulated::add), materializer)
        .thenApplyAsync(acc -> {
          if (acc.total > maxBody) {
            throw new TooLarge(acc.total + " bytes");
          }
          return acc.bytes.result().compact(); // one array: the readers after this need one
        }, SameThread.EXECUTOR);
  }

  /** A body of declared length, copied once into its own array. */
  private static final class Filled {
    final byte[] bytes;
    int at;

    Filled(int length) {
      this.bytes = new byte[length];
    }

    Filled add(ByteString chunk) {
      if (at + chunk.size() > bytes.length) { // Pekko's parser enforces Content-Length; never trust it blindly
        throw new EntityStreamException(new org.apache.pekko.http.scaladsl.model.ErrorInfo(
            "the request body is longer than its Content-Length", ""));
      }
      chunk.copyToBuffer(java.nio.ByteBuffer.wrap(bytes, at, chunk.size()));
      at += chunk.size();
      return this;
    }

    ByteString result() {
      if (at != bytes.length) {
        throw new EntityStreamException(new org.apache.pekko.http.scaladsl.model.ErrorInfo(
            "the request body ended before its Content-Length", ""));
      }
      return ByteString.fromArrayUnsafe(bytes);
    }
  }

  /** Bytes read so far; stops keeping them past the limit, and gives up (closing the connection) at twice it. */
  private static final class Accumulated {
    final long limit;
    final org.apache.pekko.util.ByteStringBuilder bytes = new org.apache.pekko.util.ByteStringBuilder();
    long total;

    Accumulated(long limit) {
      this.limit = limit;
    }

    Accumulated add(ByteString chunk) {
      total += chunk.size();
      if (total <= limit) {
        bytes.append(chunk);
      } else if (total > 2 * limit) {
        throw new TooLarge("more than " + 2 * limit + " bytes");
      }
      return this;
    }
  }

  /** Maps a failure of reading or routing to the client's error. */
  HttpResponse failure(Throwable err, String requestId) {
    Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    ApiError.Problem p;
    if (cause instanceof TooLarge t) {
      p = ApiError.REQUEST_TOO_LARGE.with(t.size, maxBody);
    } else if (cause instanceof EntityStreamSizeException || hasCause(cause, EntityStreamSizeException.class)) {
      p = ApiError.REQUEST_TOO_LARGE.with("size not declared", maxBody);
    } else if (cause instanceof EntityStreamException) {
      p = ApiError.REQUEST_BODY_UNREADABLE.with(cause.getMessage());
    } else if (cause instanceof TimeoutException) {
      p = ApiError.TIMEOUT.with("the request body did not arrive within " + READ_TIMEOUT_MS / 1000 + " s");
    } else if (cause instanceof org.apache.pekko.pattern.AskTimeoutException) {
      p = ApiError.TIMEOUT.with("no answer within the request timeout (--routing.request_timeout)");
    } else {
      log.error("request {} failed", requestId, cause);
      p = ApiError.INTERNAL_ERROR.with(requestId);
    }
    return OpenAiRoutes.error(p, requestId);
  }

  /** Whether the request declares a JSON body (application/json or any +json type). */
  static boolean declaresJson(HttpRequest req) {
    var mt = req.entity().getContentType().mediaType();
    return mt.equals(MediaTypes.APPLICATION_JSON) || mt.subType().endsWith("+json");
  }

  /**
   * Whether an undeclared body looks like a JSON object (its first non-blank byte is '{'): curl -d sends
   * application/x-www-form-urlencoded and a request without Content-Type arrives as
   * application/octet-stream, and the original matches on the body whatever its type. Multipart bodies
   * (file uploads) are never sniffed.
   */
  static boolean looksLikeJsonObject(HttpRequest req, ByteString body) {
    if (req.entity().getContentType().mediaType().isMultipart()) {
      return false;
    }
    for (int i = 0; i < body.size(); i++) {
      byte b = body.apply(i);
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        return b == '{';
      }
    }
    return false;
  }

  private static boolean hasCause(Throwable t, Class<?> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }
}
