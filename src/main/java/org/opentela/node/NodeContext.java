package org.opentela.node;

import java.nio.file.Path;
import java.util.function.Supplier;
import org.opentela.identity.NodeIdentity;
import org.opentela.platform.Hardware;

/**
 * Everything a node's actors are built from, decided before the actor system starts.
 *
 * @param canonicalHost the host other nodes reach this one at (--public-addr or detected)
 * @param nodeDir       this node's own state directory, {@code <datadir>/<peer id>}
 */
public record NodeContext(
    NodeSettings settings,
    NodeIdentity identity,
    String canonicalHost,
    Path nodeDir,
    Hardware hardware,
    Supplier<Hardware> hardwareProbe) {}
