package org.opentela.http;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.util.ByteString;
import org.opentela.proxy.ProxyReply;
import org.opentela.telemetry.Tracing;

/**
 * One request through the front end, from its arrival to the end of its response: what its metrics need
 * (the route's label, the model it named, when it arrived, the backend's own time) and, when tracing is on,
 * its span, which continues the client's {@code traceparent} and ends with the response (a stream's end).
 *
 * <p>Written by the steps of one request in turn (each step starts after the previous one's future
 * completed, which orders them); never shared between requests.
 */
final class RequestTrace {
  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
  private static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("otela.request_id");
  private static final AttributeKey<String> MODEL = AttributeKey.stringKey("gen_ai.request.model");
  private static final AttributeKey<String> PEER = AttributeKey.stringKey("otela.peer_id");
  private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");

  private final RequestMetrics metrics;
  private final String label;
  private boolean perModel;
  private final long startNanos = System.nanoTime();
  private final Span span;
  private String model;
  private long backendNanos = -1;
  private int status;
  private boolean firstByteSeen;

  /**
   * @param label    the service label of the route's series ("p2p" and "local" for pinned and local routes)
   * @param route    the span's name: the method and the route's template
   */
  RequestTrace(RequestMetrics metrics, Tracing tracing, HttpRequest req, String label, String route) {
    this.metrics = metrics;
    this.label = label;
    this.span = tracing.enabled() ? startSpan(tracing, req, route) : null;
  }

  private static Span startSpan(Tracing tracing, HttpRequest req, String route) {
    List<String> incoming = new ArrayList<>(4);
    req.getHeader(Tracing.TRACEPARENT).ifPresent(h -> {
      incoming.add(Tracing.TRACEPARENT);
      incoming.add(h.value());
    });
    req.getHeader(Tracing.TRACESTATE).ifPresent(h -> {
      incoming.add(Tracing.TRACESTATE);
      incoming.add(h.value());
    });
    Context parent = incoming.isEmpty() ? Context.root() : tracing.extract(incoming);
    return tracing.tracer().spanBuilder(req.method().value() + " " + route).setParent(parent)
        .setSpanKind(SpanKind.SERVER).setAttribute(METHOD, req.method().value())
        .setAttribute(PATH, req.getUri().path()).startSpan();
  }

  /** The span to carry to the next hop, or null when tracing is off. */
  Span span() {
    return span;
  }

  void requestId(String requestId) {
    if (span != null) {
      span.setAttribute(REQUEST_ID, requestId);
    }
  }

  /** The model a request to be routed by match named (null: none); it then counts in the per-model series. */
  void model(String model) {
    this.model = model;
    this.perModel = true;
    if (span != null && model != null) {
      span.setAttribute(MODEL, model);
    }
  }

  /** The reply the response is made of: the backend's own time to headers, and who answered. */
  void reply(String peerId, ProxyReply reply) {
    backendNanos = reply instanceof ProxyReply.Complete c ? c.backendNanos()
        : reply instanceof ProxyReply.Streamed s ? s.backendNanos() : -1;
    if (span != null) {
      span.setAttribute(PEER, peerId);
    }
  }

  /** The response's headers are ready: counts it; a whole response is done, a stream ends later. */
  void headers(HttpResponse r, Throwable err) {
    long nanos = System.nanoTime() - startNanos;
    status = r != null ? r.status().intValue() : 500;
    String traceId = span == null ? null : Tracing.sampledTraceId(span);
    metrics.record(label, status, nanos, traceId);
    if (perModel) {
      metrics.recordModel(label, model, status);
    }
    if (backendNanos >= 0) {
      metrics.overhead(label, nanos - backendNanos);
    }
    if (span != null) {
      span.setAttribute(STATUS, (long) status);
      if (status >= 500 || err != null) {
        span.setStatus(StatusCode.ERROR, err != null ? err.toString() : "status " + status);
      }
    }
    if (r == null || r.entity() instanceof HttpEntity.Strict) {
      firstByte();
      if (span != null) {
        span.end();
      }
    }
  }

  /** Passes a chunk of a streamed response through; the first one is the time to first byte. */
  ByteString chunk(ByteString b) {
    if (!firstByteSeen) {
      firstByte();
    }
    return b;
  }

  private void firstByte() {
    firstByteSeen = true;
    if (perModel && status > 0 && status < 400) {
      metrics.firstByte(label, model, System.nanoTime() - startNanos, span == null ? null : Tracing.sampledTraceId(span));
    }
  }

  void streamStarted() {
    metrics.streamStarted();
  }

  /** A streamed response ended, completed ({@code err} null) or not. */
  void streamEnded(Throwable err) {
    metrics.streamEnded();
    if (span != null) {
      if (err != null) {
        span.setStatus(StatusCode.ERROR, String.valueOf(err.getMessage()));
      }
      span.addEvent("stream end");
      span.end();
    }
  }
}
