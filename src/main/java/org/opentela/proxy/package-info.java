/**
 * The worker side of a routed request: {@link org.opentela.proxy.ServiceProxy} receives a
 * {@link org.opentela.proxy.ProxyRequest} over the cluster, calls the local service (or this node's HTTP
 * API) through a pooled HTTP client, and replies with the response: small bodies inline, streams as a
 * {@code SourceRef}. {@link org.opentela.proxy.Outcome} classifies every way it can end.
 */
package org.opentela.proxy;
