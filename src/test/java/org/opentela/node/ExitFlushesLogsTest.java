package org.opentela.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.testing.JarProcess;

/**
 * A node that exits logs why first. The production log goes through logback's asynchronous appender, and
 * {@code System.exit} does not wait for its queue: a worker refused by the head ("wrong join token") exited
 * with code 1 and printed nothing about it, once in CI (ClosedPoolE2ETest, 2026-12-02). The probe queues
 * 200 lines for a slow standard output and exits at once, as {@code otela} does.
 */
class ExitFlushesLogsTest {
  @Test
  void everyLineLoggedBeforeExitIsPrinted(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out.txt");
    Process p = new ProcessBuilder(JarProcess.javaBin(),
        "-cp", System.getProperty("java.class.path"),
        "-Dlogback.configurationFile=logback.xml", // src/main/resources: the asynchronous appender
        ExitLogProbe.class.getName(), "200")
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe did not exit");
    assertEquals(3, p.exitValue());
    List<String> lines = Files.readAllLines(out);
    assertEquals(200, lines.stream().filter(l -> l.contains("line ") && l.contains(" of 200")).count(),
        () -> "lines printed: " + lines.size());
    assertTrue(lines.get(lines.size() - 1).contains("the one that says why"), () -> lines.get(lines.size() - 1));
  }
}
