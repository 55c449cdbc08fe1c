package org.opentela.table;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The keeper's supervision: a replicator that answers too late (TimeoutException from the adapter, as on a
 * starved machine) must not make it forget its subscribers; a bug restarts it. Found under load: the keeper
 * restarted after a 20 s ask timeout and the router never saw the table again ("No node offers the
 * service" while the worker's row was in the table).
 */
class TableKeeperSupervisionTest {
  private static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  sealed interface Msg {}

  record Subscribe(ActorRef<List<String>> who) implements Msg {}

  record Fail(Exception e) implements Msg {}

  record Publish() implements Msg {}

  /** A stand-in keeper: remembers its subscribers, throws what it is told to. */
  private static Behavior<Msg> keeper(List<ActorRef<List<String>>> subscribers) {
    return Behaviors.receiveMessage(m -> {
      if (m instanceof Subscribe s) {
        subscribers.add(s.who());
      } else if (m instanceof Fail f) {
        throw f.e();
      } else {
        subscribers.forEach(s -> s.tell(List.of("table")));
      }
      return Behaviors.same();
    });
  }

  private static Behavior<Msg> fresh() {
    return Behaviors.setup(ctx -> keeper(new ArrayList<>()));
  }

  @Test
  void aReplicatorTimeoutKeepsTheSubscribers() {
    ActorRef<Msg> k = kit.spawn(TableKeeper.supervised(fresh()));
    TestProbe<List<String>> subscriber = kit.createTestProbe();
    k.tell(new Subscribe(subscriber.ref()));
    k.tell(new Fail(new TimeoutException("Ask timed out on [typedDdataReplicator] after [20000 ms]")));
    k.tell(new Publish());
    subscriber.expectMessage(Duration.ofSeconds(5), List.of("table"));
  }

  @Test
  void aBugRestartsTheKeeperWithItsStateAnew() {
    ActorRef<Msg> k = kit.spawn(TableKeeper.supervised(fresh()));
    TestProbe<List<String>> subscriber = kit.createTestProbe();
    k.tell(new Subscribe(subscriber.ref()));
    k.tell(new Fail(new IllegalStateException("a bug")));
    k.tell(new Publish());
    subscriber.expectNoMessage(Duration.ofMillis(500));
  }
}
