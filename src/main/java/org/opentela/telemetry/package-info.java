/**
 * What a node measures about itself, apart from the HTTP layer's own series: OpenTelemetry tracing
 * ({@link org.opentela.telemetry.Tracing}, off unless an OTLP endpoint is configured, the W3C context carried
 * in the request's headers across the cluster), and the last 15 minutes of traffic and of the pool kept for
 * the dashboard ({@link org.opentela.telemetry.PoolHistory}, {@link org.opentela.telemetry.TrafficHistory}).
 */
package org.opentela.telemetry;
