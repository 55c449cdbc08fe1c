package org.opentela.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real otela jar as a separate process, started the way a user does ({@code java -jar otela.jar ...}),
 * with its output captured for assertions and echoed with a prefix. Always {@link #close()} it.
 */
public final class JarProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Thread pump;

  private JarProcess(String name, Process process) {
    this.name = name;
    this.process = process;
    pump = new Thread(this::pump, "output-" + name);
    pump.setDaemon(true);
    pump.start();
  }

  /** The jar built by {@code mvn package} (failsafe passes its path as the system property otela.jar). */
  public static Path jar() {
    return Path.of(System.getProperty("otela.jar", "target/otela.jar")).toAbsolutePath();
  }

  public static JarProcess start(String name, String... args) throws IOException {
    return start(name, java.util.function.UnaryOperator.identity(), args);
  }

  /** Starts the jar with its command line wrapped, e.g. by {@code ip netns exec NS}. */
  public static JarProcess start(String name, java.util.function.UnaryOperator<List<String>> wrap, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx256m", "-jar", jar().toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(wrap.apply(cmd)).redirectErrorStream(true);
    return new JarProcess(name, pb.start());
  }

  /** Any command (e.g. an installed launcher), captured the same way; its error output is merged. */
  public static JarProcess command(String name, ProcessBuilder pb) throws IOException {
    return new JarProcess(name, pb.redirectErrorStream(true).start());
  }

  public static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private void pump() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        lines.add(line);
        System.out.println("[" + name + "] " + line);
      }
    } catch (IOException ignored) {
      // the process ended
    }
  }

  public Process process() {
    return process;
  }

  public List<String> output() {
    return List.copyOf(lines);
  }

  /** Waits for an output line matching {@code regex} and returns its first group (or the whole match). */
  public String awaitLine(String regex, Duration max) {
    Pattern p = Pattern.compile(regex);
    String[] found = new String[1];
    Eventually.eventually(name + " to print /" + regex + "/", max, () -> {
      boolean exited = !process.isAlive();
      if (exited) {
        pump.join(5000); // its last lines may still be in the pipe
      }
      for (String l : lines) {
        Matcher m = p.matcher(l);
        if (m.find()) {
          found[0] = m.groupCount() > 0 ? m.group(1) : m.group();
          return;
        }
      }
      if (exited) {
        throw Eventually.giveUp(name + " exited with " + process.exitValue() + " before printing /" + regex
            + "/; its last lines: " + lastLines(5));
      }
      throw new AssertionError("its last lines: " + lastLines(5));
    });
    return found[0];
  }

  private List<String> lastLines(int n) {
    List<String> all = output();
    return all.subList(Math.max(0, all.size() - n), all.size());
  }

  /** Waits for the process to exit and returns its exit code; {@link #output()} then holds all it printed. */
  public int awaitExit(Duration max) throws InterruptedException {
    if (!process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " did not exit within " + max.toSeconds() + " s");
    }
    pump.join(5000); // the last lines may still be in the pipe
    return process.exitValue();
  }

  /**
   * SIGTERM, as a user's Ctrl-C or systemd would; returns at once. Sent through the process handle:
   * {@link Process#destroy()} also closes our end of the output pipe, so everything the node logs while
   * it stops (the drain, the backend's stop) would be lost.
   */
  public void terminate() {
    process.toHandle().destroy();
  }

  /** SIGTERM ({@link #terminate()}), then SIGKILL if it does not stop in time. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      terminate();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** SIGKILL: the machine dies. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }
}
