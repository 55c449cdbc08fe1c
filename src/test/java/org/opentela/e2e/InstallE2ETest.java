package org.opentela.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.testing.Http;
import org.opentela.testing.JarProcess;
import org.opentela.testing.Ports;

/**
 * The install (issue 13, item 10): from the release directory {@code mvn package} makes (the jar, a
 * launcher that needs only a JRE, the systemd unit, install.sh), into a clean directory, then a head
 * started the way the installed unit starts it, stopped the way systemd stops it.
 */
class InstallE2ETest {
  private static Path release() {
    return JarProcess.jar().getParent().resolve("release");
  }

  /** A copy of the release directory, as a user would have it after copying it to a GPU machine. */
  private static Path copyRelease(Path dir) throws Exception {
    Path rel = Files.createDirectories(dir.resolve("otela-release"));
    try (Stream<Path> files = Files.list(release())) {
      for (Path f : files.toList()) {
        Files.copy(f, rel.resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    return rel;
  }

  private static ProcessBuilder withJava(ProcessBuilder pb, String javaHome) {
    Map<String, String> env = pb.environment();
    env.put("JAVA_HOME", javaHome);
    env.put("PATH", "/usr/bin:/bin"); // no JDK tools needed: the launcher finds Java through JAVA_HOME
    env.remove("OTELA_JAR");
    return pb;
  }

  @Test
  void installFromTheReleaseDirectoryThenRunAHeadAsTheUnitDoes(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue("0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream()
        .readAllBytes()).trim()), "install.sh writes the systemd unit as root only");
    Path rel = copyRelease(dir);
    assertEquals(List.of("install.sh", "otela", "otela.jar", "otela.service"),
        Arrays.stream(rel.toFile().list()).sorted().toList(), "the release directory");
    Path prefix = dir.resolve("prefix");
    Path units = Files.createDirectories(dir.resolve("systemd"));
    Path conf = dir.resolve("etc-otela");
    JarProcess install = JarProcess.command("install", withJava(new ProcessBuilder("sh", rel.resolve("install.sh")
        .toString(), "--prefix", prefix.toString(), "--unit-dir", units.toString(), "--conf-dir", conf.toString(),
        "--user", "nobody"), System.getProperty("java.home")));
    assertEquals(0, install.awaitExit(Duration.ofSeconds(60)), String.join("\n", install.output()));
    Path launcher = prefix.resolve("bin/otela");
    assertTrue(Files.isExecutable(launcher), "the launcher is installed executable");
    assertEquals(Files.size(rel.resolve("otela.jar")), Files.size(prefix.resolve("lib/otela/otela.jar")));
    assertTrue(install.output().contains("next: edit " + conf + "/otela.conf, then: systemctl enable --now otela;"
        + " journalctl -fu otela"), String.join("\n", install.output()));

    String unit = Files.readString(units.resolve("otela.service"));
    String execStart = unit.lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
    assertEquals("ExecStart=" + launcher + " start --config " + conf + "/otela.conf", execStart);
    assertTrue(unit.contains("\nSuccessExitStatus=143\n"), "a stop by SIGTERM is a success: " + unit);
    assertTrue(unit.contains("\nKillMode=mixed\n"), "only otela gets the SIGTERM; it stops its backend after the drain");
    assertTrue(unit.contains("\nUser=nobody\n"), unit);
    int stopSec = Integer.parseInt(unit.lines().filter(l -> l.startsWith("TimeoutStopSec=")).findFirst().orElseThrow()
        .substring("TimeoutStopSec=".length()));
    assertTrue(stopSec > 30 + 10, "longer than the drain (30 s) and the backend's stop (10 s): " + stopSec);
    assertTrue(Files.readString(conf.resolve("otela.conf")).contains("# otela.subprocess = \"vllm serve"),
        "a commented example of the settings");

    // A head configured in the unit's config file, started with the unit's command line.
    int http = Ports.free();
    Files.writeString(conf.resolve("otela.conf"), String.join("\n", "otela.mode = \"standalone\"", "otela.seed = \"0\"",
        "otela.public-addr = \"127.0.0.1\"", "otela.port = " + http, "otela.tcpport = " + Ports.free(),
        "otela.management.port = " + Ports.free(), "otela.datadir = \"" + dir.resolve("data") + "\"", ""));
    List<String> cmd = new ArrayList<>(Arrays.asList(execStart.substring("ExecStart=".length()).split(" ")));
    try (JarProcess head = JarProcess.command("installed-head", withJava(new ProcessBuilder(cmd),
        System.getProperty("java.home")))) {
      eventually("the installed head to answer", Duration.ofSeconds(120),
          () -> assertEquals(200, Http.get("http://127.0.0.1:" + http + "/v1/health").statusCode()));
      assertTrue(head.output().stream().anyMatch(l -> l.contains("Peer ID: QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE")),
          "the head read its seed from the config file");
      head.terminate(); // what systemctl stop sends
      assertEquals(143, head.awaitExit(Duration.ofSeconds(60)), "SuccessExitStatus=143");
    }
  }

  @Test
  void theLauncherSaysWhichJavaItNeeds(@TempDir Path dir) throws Exception {
    Path rel = copyRelease(dir);
    Path oldJava = Files.createDirectories(dir.resolve("jdk11/bin")).resolve("java");
    Files.writeString(oldJava, "#!/bin/sh\necho 'openjdk version \"11.0.21\" 2023-10-17' >&2\n");
    assertTrue(oldJava.toFile().setExecutable(true));
    JarProcess old = JarProcess.command("old-java", withJava(new ProcessBuilder(rel.resolve("otela").toString(),
        "version"), dir.resolve("jdk11").toString()));
    assertEquals(1, old.awaitExit(Duration.ofSeconds(30)));
    assertTrue(old.output().get(0).startsWith("otela: needs Java 17 or newer; " + oldJava + " is 11.0.21."),
        String.join("\n", old.output()));

    JarProcess ok = JarProcess.command("release-launcher", withJava(new ProcessBuilder(rel.resolve("otela").toString(),
        "version"), System.getProperty("java.home")));
    assertEquals(0, ok.awaitExit(Duration.ofSeconds(60)), String.join("\n", ok.output()));
    assertTrue(ok.output().get(0).startsWith("otela "), "the launcher runs the jar next to it: " + ok.output());
  }
}
