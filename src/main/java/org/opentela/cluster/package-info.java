/**
 * Cluster membership: bootstrap multiaddrs, the identity handshake that refuses a wrong peer id before
 * joining, joining seed nodes, and logging what membership changes mean for the user.
 */
package org.opentela.cluster;
