package org.opentela.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SelfUp;
import org.apache.pekko.cluster.typed.Subscribe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentela.ApiError;

/** The keepers of keys and usage as actors, in a one-node cluster of the test's own actor system. */
class KeyKeeperTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final Config CONFIG = ConfigFactory.parseString("""
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = 127.0.0.1
      pekko.remote.artery.canonical.port = 0
      pekko.remote.artery.bind.hostname = 127.0.0.1
      pekko.remote.artery.bind.port = 0
      pekko.cluster.distributed-data.durable.keys = []
      pekko.cluster.jmx.enabled = off
      pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
      """).withFallback(ConfigFactory.load()).resolve();
  private static final ActorTestKit kit = ActorTestKit.create("KeyKeeperTest", CONFIG);

  @BeforeAll
  static void formAOneNodeCluster() {
    Cluster cluster = Cluster.get(kit.system());
    TestProbe<SelfUp> up = kit.createTestProbe();
    cluster.subscriptions().tell(Subscribe.create(up.ref(), SelfUp.class));
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    up.expectMessageClass(SelfUp.class, Duration.ofSeconds(10));
  }

  @AfterAll
  static void stopTheCluster() {
    kit.shutdownTestKit();
  }

  @Test
  void keysAreMadeOncePerNameRevokedByNameOrIdAndEverySetIsPublished() {
    ActorRef<KeyKeeper.Command> keeper = kit.spawn(KeyKeeper.create(System::currentTimeMillis));
    TestProbe<KeyRing> rings = kit.createTestProbe();
    keeper.tell(new KeyKeeper.Subscribe(rings.ref()));
    rings.receiveMessage(WAIT);
    TestProbe<KeyKeeper.CreateReply> created = kit.createTestProbe();
    KeyKeeper.KeySpec spec = new KeyKeeper.KeySpec("alice", new Limits(10, 0, 2, List.of("m1")), 0);
    keeper.tell(new KeyKeeper.Create(spec, created.ref()));
    KeyKeeper.Created c = (KeyKeeper.Created) created.receiveMessage(WAIT);
    assertTrue(c.secret().startsWith(KeySecrets.PREFIX + c.key().id() + "-"), c.secret());
    assertTrue(KeySecrets.matches(KeySecrets.parse(c.secret()).secret(), c.key().secretHash()));
    assertTrue(c.everywhere());
    KeyRing ring = rings.fishForMessage(WAIT, r -> r.get(c.key().id()) != null
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore()).get(0);
    assertEquals("alice", ring.get(c.key().id()).name());

    keeper.tell(new KeyKeeper.Create(spec, created.ref()));
    assertEquals(ApiError.KEY_NAME_TAKEN, ((KeyKeeper.Refused) created.receiveMessage(WAIT)).problem().error());

    TestProbe<KeyKeeper.RevokeReply> revoked = kit.createTestProbe();
    keeper.tell(new KeyKeeper.Revoke("alice", revoked.ref()));
    KeyKeeper.Revoked r = (KeyKeeper.Revoked) revoked.receiveMessage(WAIT);
    assertTrue(r.key().revoked());
    keeper.tell(new KeyKeeper.Revoke(c.key().id(), revoked.ref()));
    assertEquals(ApiError.KEY_NOT_FOUND, ((KeyKeeper.Refused) revoked.receiveMessage(WAIT)).problem().error());
    // The name is free again once its key is revoked; the revoked key stays listed (its usage keeps a name).
    keeper.tell(new KeyKeeper.Create(spec, created.ref()));
    KeyKeeper.Created again = assertInstanceOf(KeyKeeper.Created.class, created.receiveMessage(WAIT));
    KeyRing last = rings.fishForMessage(WAIT, x -> x.get(again.key().id()) != null
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore()).get(0);
    assertTrue(last.get(c.key().id()).revoked());
    kit.stop(keeper);
  }

  @Test
  void usageIsWrittenPerDayAndReadBackPerKeyAndModel() {
    UsageCounts counts = new UsageCounts(System::currentTimeMillis);
    ActorRef<UsageKeeper.Command> keeper = kit.spawn(UsageKeeper.create(counts, Duration.ofHours(1)));
    counts.record("k1", "m1", new TokenUsage(10, 5), false);
    counts.record("k1", "m1", new TokenUsage(1, 2), true);
    counts.record("k2", "m2", TokenUsage.NONE, true);
    TestProbe<Done> flushed = kit.createTestProbe();
    keeper.tell(new UsageKeeper.Flush(flushed.ref()));
    flushed.expectMessage(WAIT, Done.getInstance());
    counts.record("k1", "m1", new TokenUsage(100, 0), false); // not flushed yet: a query flushes first
    TestProbe<UsageKeeper.Report> report = kit.createTestProbe();
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    keeper.tell(new UsageKeeper.Query(today.minusDays(1), today, "k1", report.ref()));
    List<UsageKeeper.Row> rows = report.receiveMessage(WAIT).rows();
    assertEquals(List.of(new UsageKeeper.Row(today, "k1", "m1", new UsageCounts.Counts(3, 111, 7, 1))), rows);
    keeper.tell(new UsageKeeper.Query(today, today, null, report.ref()));
    assertEquals(2, report.receiveMessage(WAIT).rows().size());
    kit.stop(keeper);
  }
}
