package org.opentela.subprocess;

import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.opentela.table.TableKeeper;

/** Helpers for tests that run real backend processes. */
final class TestBackends {
  private TestBackends() {}

  static final Config LOCAL = ConfigFactory.parseString("""
      pekko.actor.provider = local
      pekko.loglevel = INFO
      pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
      """).withFallback(ConfigFactory.load()).resolve();

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port", e);
    }
  }

  /** The java command that runs {@code mainClass} from this test's class path. */
  static String java(Class<?> mainClass) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return java + " -Xmx64m -XX:TieredStopAtLevel=1 -cp '" + System.getProperty("java.class.path") + "' "
        + mainClass.getName();
  }

  /**
   * A --subprocess command running {@link FakeBackend}, through a script in {@code controlDir} so that the
   * log shows a short command line.
   */
  static String fakeBackend(int port, String models, Path controlDir) {
    Path script = controlDir.resolve("fake-backend.sh");
    try {
      Files.writeString(script, "exec " + java(FakeBackend.class) + " \"$@\"\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "exec /bin/sh '" + script + "' " + port + " " + models + " '" + controlDir + "'";
  }

  /** Settings with short intervals, so that a test sees a whole lifecycle in seconds. */
  static ServiceSettings settings(String name, int port, String command, List<String> groups) {
    return new ServiceSettings(name, port, command, groups, "/health",
        Duration.ofMillis(200), 2, Duration.ofMillis(100), Duration.ofSeconds(20), Duration.ofSeconds(1),
        Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofMillis(300), Duration.ofSeconds(2),
        Duration.ofMinutes(5), "");
  }

  static ServiceSettings withStartTimeout(ServiceSettings s, Duration startTimeout) {
    return new ServiceSettings(s.name(), s.port(), s.command(), s.identityGroups(), s.healthPath(),
        s.healthInterval(), s.healthFailures(), s.readyInterval(), startTimeout, s.probeTimeout(),
        s.loadInterval(), s.stopTimeout(), s.restartBackoff(), s.restartBackoffMax(), s.restartBackoffReset(),
        s.apiKey());
  }

  /** The first message of type {@code type} matching {@code match}, skipping others, within {@code max}. */
  static <T extends TableKeeper.Command> T await(TestProbe<TableKeeper.Command> probe, Class<T> type,
      Predicate<T> match, Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        fail("no matching " + type.getSimpleName() + " within " + max);
      }
      TableKeeper.Command m;
      try {
        m = probe.receiveMessage(Duration.ofNanos(left));
      } catch (AssertionError timeout) {
        throw new AssertionError("no matching " + type.getSimpleName() + " within " + max, timeout);
      }
      if (type.isInstance(m) && match.test(type.cast(m))) {
        return type.cast(m);
      }
    }
  }

  static TableKeeper.PublishService awaitPublished(TestProbe<TableKeeper.Command> probe, String status,
      Duration max) {
    return await(probe, TableKeeper.PublishService.class, p -> p.service().status().equals(status), max);
  }

  /** True if {@code pid} has exited: no such process, or a zombie its (new) parent has not reaped yet. */
  static boolean isDead(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
    } catch (IOException e) {
      return true;
    }
  }
}
