package org.opentela.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Linux network namespace joined to the host by a veth pair, so a process in it is a separate host
 * on a link the test can cut and heal. Needs root and iproute2; {@link #problem()} says why not if not.
 */
public final class NetNs implements AutoCloseable {
  public final String name;
  public final String hostIf;
  public final String hostIp;
  public final String nsIp;

  private NetNs(String name, String hostIf, String hostIp, String nsIp) {
    this.name = name;
    this.hostIf = hostIf;
    this.hostIp = hostIp;
    this.nsIp = nsIp;
  }

  /** Null if namespaces can be created here, else the reason they cannot. */
  public static String problem() {
    try {
      String probe = "otela-probe-" + ProcessHandle.current().pid();
      run("ip", "netns", "add", probe);
      run("ip", "netns", "del", probe);
      return null;
    } catch (IOException e) {
      return "network namespaces are not available here (" + e.getMessage() + "); run as root with iproute2";
    }
  }

  /** Creates namespace {@code name}, with {@code hostIp}/24 on the host side and {@code nsIp}/24 inside. */
  public static NetNs create(String name, String hostIp, String nsIp) throws IOException {
    String suffix = Long.toString(ProcessHandle.current().pid() % 100000);
    String hostIf = "oh" + suffix;
    String nsIf = "on" + suffix;
    NetNs ns = new NetNs(name, hostIf, hostIp, nsIp);
    ns.close(); // leftovers of an earlier run
    run("ip", "netns", "add", name);
    run("ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
    run("ip", "link", "set", nsIf, "netns", name);
    run("ip", "addr", "add", hostIp + "/24", "dev", hostIf);
    run("ip", "link", "set", hostIf, "up");
    run("ip", "netns", "exec", name, "ip", "addr", "add", nsIp + "/24", "dev", nsIf);
    run("ip", "netns", "exec", name, "ip", "link", "set", nsIf, "up");
    run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
    return ns;
  }

  /** The command prefix that runs a program inside the namespace. */
  public List<String> exec(List<String> command) {
    List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", name));
    out.addAll(command);
    return out;
  }

  /** Cuts the link: nothing passes between host and namespace until {@link #heal()}. */
  public void cut() throws IOException {
    run("ip", "link", "set", hostIf, "down");
  }

  public void heal() throws IOException {
    run("ip", "link", "set", hostIf, "up");
  }

  @Override
  public void close() {
    try {
      run("ip", "link", "del", hostIf);
    } catch (IOException ignored) {
      // not there
    }
    try {
      run("ip", "netns", "del", name);
    } catch (IOException ignored) {
      // not there
    }
  }

  static String run(String... cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out);
    }
    return out;
  }
}
