package org.opentela.table;

/**
 * Signs this node's record and checks everyone else's. In an open pool the owner's Ed25519 node key signs
 * and its {@code owner} field must hash to the peer id; in a closed pool the key of a certificate from the
 * pool CA that names the peer id signs. Either way one node cannot write a record another node will take
 * for a third node's.
 */
public interface RecordSeal {
  SignedRecord seal(NodeRecord record);

  /** The record stored under {@code peerId}, or why it was rejected. */
  Opened open(String peerId, SignedRecord sealed);

  /** Exactly one of {@code record} and {@code rejection} is set. */
  record Opened(NodeRecord record, String rejection) {
    public static Opened rejected(String why) {
      return new Opened(null, why);
    }
  }
}
