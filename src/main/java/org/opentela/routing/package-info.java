/**
 * Routing: the {@link org.opentela.routing.Router} actor and the pure logic it uses: identity-group
 * matching with fallback tiers ({@link org.opentela.routing.ProviderIndex}), the request's match fields
 * ({@link org.opentela.routing.MatchFields}) and selection policies ({@link org.opentela.routing.Selection}),
 * among them {@code cache-aware}: a request's {@link org.opentela.routing.Affinity} (its session, its
 * {@link org.opentela.routing.PromptPrefix}), rendezvous hashing of sessions and a bounded per-head prefix
 * index ({@code CacheAware}, {@code PrefixIndex}).
 */
package org.opentela.routing;
