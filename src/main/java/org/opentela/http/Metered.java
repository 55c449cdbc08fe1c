package org.opentela.http;

import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.opentela.SameThread;
import org.opentela.auth.Exchange;
import org.opentela.auth.SseUsage;
import org.opentela.auth.TokenUsage;

/**
 * The accounting of one admitted request under API keys: reads the tokens a response reports (a whole
 * body's {@code usage}, or a stream's as it passes, taking out the usage otela asked for), and ends the
 * {@link Exchange} once, when the response or its stream is over.
 *
 * @param stripUsage whether otela added {@code stream_options.include_usage} to the request
 */
record Metered(Exchange exchange, boolean stripUsage) {

  /** The key's rate-limit headers, for the response. */
  List<HttpHeader> headers() {
    return Guard.rateHeaders(exchange);
  }

  /** A whole response: its usage, if it reports one, counts now. */
  void complete(int status, byte[] body) {
    TokenUsage usage = status < 400 && body.length > 0 ? TokenUsage.find(body, 0, body.length) : TokenUsage.NONE;
    exchange.finish(status, usage == null ? TokenUsage.NONE : usage, status >= 400);
  }

  /** The request failed before a response: nothing used, an error. */
  void failed(int status) {
    exchange.finish(status, TokenUsage.NONE, true);
  }

  /** {@code body} read as it passes (an SSE stream's usage, the added usage taken out); counted when it ends. */
  Source<ByteString, NotUsed> stream(int status, boolean sse, Source<ByteString, NotUsed> body) {
    if (!sse) {
      return body.watchTermination((mat, done) -> {
        done.whenCompleteAsync((d, err) -> exchange.finish(status, TokenUsage.NONE, err != null || status >= 400),
            SameThread.EXECUTOR);
        return mat;
      });
    }
    SseUsage reader = new SseUsage(stripUsage);
    return body.map(reader::onChunk)
        .concat(Source.lazySingle(reader::onEnd))
        .filter(b -> !b.isEmpty())
        .watchTermination((mat, done) -> {
          done.whenCompleteAsync((d, err) -> exchange.finish(status, reader.usage(),
              err != null || reader.sawError() || status >= 400), SameThread.EXECUTOR);
          return mat;
        });
  }
}
