/**
 * {@code otela status}: the pool in a terminal, read from a head's {@code GET /v1/dnt/pool} (the dashboard's
 * data) and printed as tables of nodes, models and workers, like {@code kubectl get nodes}.
 */
package org.opentela.status;
