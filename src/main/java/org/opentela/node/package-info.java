/**
 * Wiring of a node: the command line ({@link org.opentela.node.Main}), settings read once
 * ({@link org.opentela.node.NodeSettings}), the node's life across member replacements
 * ({@link org.opentela.node.Node}), the root actor that spawns the features by role
 * ({@link org.opentela.node.Guardian}), and {@code otela demo}. Nothing outside this package imports it.
 */
package org.opentela.node;
