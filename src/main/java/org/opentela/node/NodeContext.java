package org.opentela.node;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.opentela.node.NodeSettings;
import org.opentela.identity.NodeIdentity;
import org.opentela.platform.Hardware;

/**
 * Everything a node's actors are built from, decided before the actor system starts.
 *
 * @param canonicalHost the host other nodes reach this one at (--public-addr or detected)
 * @param nodeDir       this node's own state directory, {@code <datadir>/<peer id>}
 * @param exitCode      set by whoever decides the process must exit with an error
 */
public record NodeContext(
    NodeSettings settings,
    NodeIdentity identity,
    String canonicalHost,
    Path nodeDir,
    Hardware hardware,
    Supplier<Hardware> hardwareProbe,
    AtomicInteger exitCode) {}
