package org.opentela.cluster;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.opentela.CborSerializable;
import org.opentela.identity.NodeIdentity;

/**
 * Answers "who are you?" for a node that is about to join through this one: its peer id, public key
 * and a signature over the caller's nonce, so the caller can check it reached the peer id the user typed.
 * Runs on every node at the well-known path {@code /user/}{@value #NAME}.
 */
public final class PeerIdentity {
  public static final String NAME = "otela-identity";

  private PeerIdentity() {}

  /** A joining node's question; {@code nonce} is random and must come back signed. */
  public record Hello(String callerPeerId, String callerVersion, byte[] nonce, ActorRef<Reply> replyTo)
      implements CborSerializable {}

  /** The answer: who this node is, proven by {@code signature} over the nonce. */
  public record Reply(String peerId, byte[] publicKey, byte[] signature, String version, String role)
      implements CborSerializable {}

  public static Behavior<Hello> create(NodeIdentity identity, String version, String role) {
    return Behaviors.receive(Hello.class)
        .onMessage(Hello.class, m -> {
          m.replyTo().tell(new Reply(identity.peerId(), identity.publicKey(), identity.sign(m.nonce()), version, role));
          return Behaviors.same();
        })
        .build();
  }
}
