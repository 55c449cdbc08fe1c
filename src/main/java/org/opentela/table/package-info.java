/**
 * The replicated node table: one {@link org.opentela.table.NodeRecord} per node, in a Distributed Data
 * LWWMap keyed by peer id. {@link org.opentela.table.TableKeeper} is its only writer on each node and
 * publishes immutable {@link org.opentela.table.NodeTable} snapshots to whoever subscribes.
 */
package org.opentela.table;
