/**
 * Trust in a closed pool: the pool's certificate authority and join token on the head, enrolment and
 * renewal of node certificates, the TLS engine of the cluster transport, the replicated deny list, and
 * the seals that make each node's table record verifiable by every other node.
 *
 * <p>The node certificate, issued by the pool CA, is the admission credential: Artery runs {@code tls-tcp}
 * with mutual authentication, so a machine without one cannot even complete a handshake. A peer id proves
 * nothing by itself (seeded keys are public); a certificate names the peer id it was issued for.
 */
package org.opentela.trust;
