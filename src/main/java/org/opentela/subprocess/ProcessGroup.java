package org.opentela.subprocess;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Linux process group, seen through {@code /proc} and signalled with the shell's {@code kill}: Java
 * can signal one process but not a group. Every method blocks (it reads /proc, runs {@code kill}, or
 * waits): call them off the actor threads.
 *
 * @param pgid the group's id, which is the pid of the process that created it with {@code setsid}
 */
record ProcessGroup(long pgid) {
  private static final Logger log = LoggerFactory.getLogger(ProcessGroup.class);
  private static final Path PROC = Path.of("/proc");
  private static final Duration POLL = Duration.ofMillis(50);
  private static final Duration AFTER_KILL = Duration.ofSeconds(5);

  ProcessGroup {
    if (pgid <= 1) {
      throw new IllegalArgumentException("pgid: " + pgid + " (expected: > 1)");
    }
  }

  /** The pids of the group's living members (zombies are dead: they only wait for their parent to reap them). */
  List<Long> members() {
    List<Long> out = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, p -> isNumeric(p.getFileName().toString()))) {
      for (Path dir : dirs) {
        String stat = read(dir.resolve("stat"));
        if (stat == null) {
          continue;
        }
        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse after the last ')'.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        if (f.length > 2 && !f[0].equals("Z") && !f[0].equals("X") && Long.parseLong(f[2]) == pgid) {
          out.add(Long.parseLong(dir.getFileName().toString()));
        }
      }
    } catch (IOException e) {
      log.warn("Cannot list /proc to find the members of process group {}", pgid, e);
    }
    return out;
  }

  boolean isEmpty() {
    return members().isEmpty();
  }

  /** True if a member of the group has {@code name=value} in its environment, i.e. descends from our start. */
  boolean hasMemberWithEnv(String name, String value) {
    String wanted = name + "=" + value;
    for (long pid : members()) {
      String env = read(PROC.resolve(Long.toString(pid)).resolve("environ"));
      if (env != null) {
        for (String entry : env.split("\0")) {
          if (entry.equals(wanted)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /**
   * SIGTERM to the whole group, up to {@code grace} for every member to exit, then SIGKILL to whoever is
   * left, and a last wait. Returns true if the group is gone.
   */
  boolean terminate(Duration grace) throws InterruptedException {
    if (isEmpty()) {
      return true;
    }
    signal("TERM");
    if (awaitEmpty(grace)) {
      return true;
    }
    log.warn("Process group {} did not exit within {} s of SIGTERM ({} left): sending SIGKILL", pgid,
        grace.toSeconds(), members().size());
    signal("KILL");
    return awaitEmpty(AFTER_KILL);
  }

  /** Sends {@code signal} (e.g. "TERM") to every member; a group that is already gone is not an error. */
  void signal(String signal) throws InterruptedException {
    try {
      Process kill = new ProcessBuilder("/bin/sh", "-c", "kill -s \"$1\" -- \"-$2\"", "kill", signal, Long.toString(pgid))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!kill.waitFor(5, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
      }
    } catch (IOException e) {
      log.error("Cannot run /bin/sh to send SIG{} to process group {}", signal, pgid, e);
    }
  }

  boolean awaitEmpty(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!isEmpty()) {
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      Thread.sleep(POLL.toMillis());
    }
    return true;
  }

  private static String read(Path file) {
    try {
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (IOException | SecurityException e) {
      // The process exited while we looked, or is not ours to read.
      return null;
    }
  }

  private static boolean isNumeric(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (!Character.isDigit(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}
