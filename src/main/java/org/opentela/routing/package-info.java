/**
 * Routing: the {@link org.opentela.routing.Router} actor and the pure logic it uses: identity-group
 * matching with fallback tiers ({@link org.opentela.routing.ProviderIndex}), the request's match fields
 * ({@link org.opentela.routing.MatchFields}) and selection policies ({@link org.opentela.routing.Selection}).
 */
package org.opentela.routing;
