package org.opentela;

/**
 * Marker for every message and replicated value that crosses the cluster: Pekko serializes it with
 * Jackson CBOR (binding in application.conf). Implementations are records or immutable classes.
 */
public interface CborSerializable {}
