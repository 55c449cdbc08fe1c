package org.opentela.routing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.util.List;
import org.opentela.proxy.ProxyReply;
import org.opentela.proxy.ProxyRequest;
import org.opentela.telemetry.Tracing;

/**
 * The router's spans, children of the front end's request span (whose context the request's
 * {@code traceparent} header carries): {@code match} (the candidates for the request), {@code select} (the
 * provider picked among them) and one {@code try} per attempt, whose context the forwarded request carries
 * to the worker. Used only when tracing is on.
 */
final class RouteSpans {
  static final AttributeKey<String> PEER = AttributeKey.stringKey("otela.peer_id");
  static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("otela.attempt");
  static final AttributeKey<Long> CANDIDATES = AttributeKey.longKey("otela.candidates");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("otela.outcome");
  static final AttributeKey<String> POLICY = AttributeKey.stringKey("otela.lb_policy");
  static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");

  private final Tracing tracing;

  RouteSpans(Tracing tracing) {
    this.tracing = tracing;
  }

  /** The request span's context, from the request's headers. */
  Context parent(ProxyRequest request) {
    return tracing.extract(request.headers());
  }

  Span start(String name, Context parent) {
    return tracing.tracer().spanBuilder(name).setParent(parent).startSpan();
  }

  void endMatch(Span match, List<Provider> candidates) {
    match.setAttribute(CANDIDATES, (long) candidates.size());
    match.end();
  }

  void endSelect(Span select, Selection.Policy policy, Provider picked) {
    select.setAttribute(POLICY, policy.name().toLowerCase(java.util.Locale.ROOT));
    if (picked != null) {
      select.setAttribute(PEER, picked.peerId());
    } else {
      select.setStatus(StatusCode.ERROR, "no provider");
    }
    select.end();
  }

  /** A try's span, started as the request is sent to {@code target}. */
  Span startTry(Context parent, Provider target, int attempt) {
    return tracing.tracer().spanBuilder("try").setParent(parent).setSpanKind(SpanKind.CLIENT)
        .setAttribute(PEER, target.peerId()).setAttribute(ATTEMPT, (long) attempt).startSpan();
  }

  /** {@code request} carrying {@code attempt}'s context to the worker. */
  ProxyRequest carrying(ProxyRequest request, Span attempt) {
    return request.withHeaders(tracing.withSpan(request.headers(), attempt));
  }

  /** The try got its response headers (or a whole response). */
  static void answered(Span attempt, ProxyReply reply) {
    int status = reply instanceof ProxyReply.Complete c ? c.status()
        : reply instanceof ProxyReply.Streamed s ? s.status() : 0;
    attempt.setAttribute(STATUS, (long) status);
    attempt.setAttribute(OUTCOME, "answered");
    attempt.end();
  }

  static void failed(Span attempt, String outcome, String message) {
    attempt.setAttribute(OUTCOME, outcome);
    attempt.setStatus(StatusCode.ERROR, message);
    attempt.end();
  }
}
