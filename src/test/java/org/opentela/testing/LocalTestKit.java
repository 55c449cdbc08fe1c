package org.opentela.testing;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/** An actor test kit without remoting or cluster: for tests of actors and stream stages alone. */
public final class LocalTestKit {
  private LocalTestKit() {}

  public static ActorTestKit create() {
    return ActorTestKit.create(ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.load()));
  }
}
