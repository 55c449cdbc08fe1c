/**
 * The worker side of a routed request: {@link org.opentela.proxy.ServiceProxy} receives a
 * {@link org.opentela.proxy.ProxyRequest} over the cluster, calls the local service (or this node's HTTP
 * API) through a pooled HTTP client, and replies with the response: small bodies inline, streams as a
 * {@link org.opentela.proxy.StreamBody} (a {@code SourceRef} across the cluster, the backend's own source
 * in the same JVM). {@link org.opentela.proxy.Outcome} classifies every way it can end.
 * {@link org.opentela.proxy.ProxyRequest#withBody} decides how a request body travels (inline, or as a
 * stream of chunks when it is too large for one cluster message).
 */
package org.opentela.proxy;
