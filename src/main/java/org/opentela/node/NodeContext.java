package org.opentela.node;

import java.nio.file.Path;
import java.util.function.Supplier;
import org.opentela.identity.NodeIdentity;
import org.opentela.platform.Hardware;
import org.opentela.trust.PoolTrust;

/**
 * Everything a node's actors are built from, decided before the actor system starts.
 *
 * @param canonicalHost the host other nodes reach this one at (--public-addr or detected)
 * @param nodeDir       this node's own state directory, {@code <datadir>/<peer id>}
 * @param trust         open pool, or this node's certificate and the pool CA (on the head that holds it)
 */
public record NodeContext(
    NodeSettings settings,
    NodeIdentity identity,
    String canonicalHost,
    Path nodeDir,
    Hardware hardware,
    Supplier<Hardware> hardwareProbe,
    PoolTrust trust) {}
