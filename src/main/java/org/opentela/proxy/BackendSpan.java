package org.opentela.proxy;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import org.apache.pekko.util.ByteString;
import org.opentela.telemetry.Tracing;

/**
 * A worker's spans for one forwarded request, children of the head's {@code try} (whose context the
 * request's {@code traceparent} carries): {@code backend}, from the call to the end of the response body (a
 * stream's end), and within it {@code first byte}, from the call to the first body byte. The backend gets
 * {@code backend}'s context in its {@code traceparent}, so its own spans nest under it. Only made when
 * tracing is on.
 */
final class BackendSpan {
  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> URL = AttributeKey.stringKey("url.full");
  private static final AttributeKey<String> SERVICE = AttributeKey.stringKey("otela.service");
  private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  private static final AttributeKey<Long> BYTES = AttributeKey.longKey("otela.response_bytes");

  private final Tracing tracing;
  private final Span call;
  private final Span firstByte;
  private volatile boolean firstByteSeen;
  private long bytes;

  private BackendSpan(Tracing tracing, Span call, Span firstByte) {
    this.tracing = tracing;
    this.call = call;
    this.firstByte = firstByte;
  }

  static BackendSpan start(Tracing tracing, ProxyRequest r, String baseUrl) {
    Context parent = tracing.extract(r.headers());
    Span call = tracing.tracer().spanBuilder("backend").setParent(parent).setSpanKind(SpanKind.CLIENT)
        .setAttribute(METHOD, r.method()).setAttribute(URL, baseUrl + r.path())
        .setAttribute(SERVICE, r.service() == null ? "api" : r.service()).startSpan();
    Span firstByte = tracing.tracer().spanBuilder("first byte").setParent(parent.with(call)).startSpan();
    return new BackendSpan(tracing, call, firstByte);
  }

  /** {@code r} with this call's context in its trace headers, for the backend. */
  ProxyRequest carry(ProxyRequest r) {
    return r.withHeaders(tracing.withSpan(r.headers(), call));
  }

  void headers(int status) {
    call.setAttribute(STATUS, (long) status);
    call.addEvent("response headers");
    if (status >= 500) {
      call.setStatus(StatusCode.ERROR);
    }
  }

  /** Passes a chunk of a streamed body through, ending {@code first byte} at the first one. */
  ByteString chunk(ByteString b) {
    if (!firstByteSeen) {
      firstByteSeen = true;
      firstByte.end();
    }
    bytes += b.size();
    return b;
  }

  /** A whole response arrived: its first byte came with it. */
  void complete(int bodyBytes) {
    firstByteSeen = true;
    firstByte.end();
    call.setAttribute(BYTES, (long) bodyBytes);
    call.end();
  }

  /** A streamed body ended, completed ({@code err} null), failed or cancelled. */
  void streamEnded(Throwable err) {
    if (!firstByteSeen) {
      firstByteSeen = true;
      firstByte.end();
    }
    call.setAttribute(BYTES, bytes);
    if (err != null) {
      call.setStatus(StatusCode.ERROR, String.valueOf(err.getMessage()));
    }
    call.addEvent("stream end");
    call.end();
  }

  void failed(ProxyReply.Failed f) {
    firstByte.end();
    call.setStatus(StatusCode.ERROR, f.outcome() + ": " + f.message());
    call.end();
  }
}
