package org.opentela.platform;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Who listens on which TCP port, read from Linux's {@code /proc}: the kernel's socket tables
 * ({@code /proc/net/tcp}, {@code tcp6}) give each listening socket's port and inode, and a process's
 * {@code /proc/<pid>/fd} links name the sockets it holds. Used to say what holds a port a user asked
 * for, and which ports a backend really listens on. Processes that are not ours to read (another user's,
 * without root) are not named; elsewhere than Linux nothing is found. Every method blocks on file reads.
 */
public final class Listeners {
  private static final Path PROC = Path.of("/proc");
  private static final String LISTEN = "0A";
  private static final int MAX_COMMAND = 160;

  private Listeners() {}

  /** True if a server socket can be bound on {@code host:port} now (as a server binding with SO_REUSEADDR would). */
  public static boolean canBind(String host, int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** "pid 1234 (python3 -m http.server 8080)" for the process listening on {@code port}, if it can be named. */
  public static Optional<String> holderOf(int port) {
    Set<Long> inodes = new HashSet<>();
    listening(PROC).forEach((inode, p) -> {
      if (p == port) {
        inodes.add(inode);
      }
    });
    if (inodes.isEmpty()) {
      return Optional.empty();
    }
    for (long pid : pids()) {
      if (!java.util.Collections.disjoint(socketInodes(pid), inodes)) {
        return Optional.of("pid " + pid + " (" + command(pid) + ")");
      }
    }
    return Optional.empty();
  }

  /** The TCP ports on which any of {@code pids} listens. */
  public static SortedSet<Integer> portsOf(Collection<Long> pids) {
    Map<Long, Integer> listening = listening(PROC);
    SortedSet<Integer> ports = new TreeSet<>();
    for (long pid : pids) {
      for (long inode : socketInodes(pid)) {
        Integer port = listening.get(inode);
        if (port != null) {
          ports.add(port);
        }
      }
    }
    return ports;
  }

  /** Listening sockets: inode -> local port, from {@code proc}'s IPv4 and IPv6 tables. */
  static Map<Long, Integer> listening(Path proc) {
    Map<Long, Integer> out = new HashMap<>();
    for (String table : new String[] {"net/tcp", "net/tcp6"}) {
      String text = read(proc.resolve(table));
      if (text != null) {
        parseTable(text, out);
      }
    }
    return out;
  }

  /**
   * One table: "sl local_address rem_address st ... uid timeout inode", addresses as HEX_IP:HEX_PORT.
   * Lines that do not parse are skipped.
   */
  static void parseTable(String text, Map<Long, Integer> out) {
    for (String line : text.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 10 || !f[3].equals(LISTEN)) {
        continue;
      }
      int colon = f[1].lastIndexOf(':');
      try {
        out.put(Long.parseLong(f[9]), Integer.parseInt(f[1].substring(colon + 1), 16));
      } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
        // a header or a line of another shape
      }
    }
  }

  private static Set<Long> pids() {
    Set<Long> out = new java.util.LinkedHashSet<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, p -> p.getFileName().toString().matches("\\d+"))) {
      dirs.forEach(d -> out.add(Long.parseLong(d.getFileName().toString())));
    } catch (IOException | RuntimeException e) {
      // not Linux, or /proc is not readable: nobody can be named
    }
    return out;
  }

  /** The inodes of the sockets process {@code pid} holds (empty if it is gone or not ours to read). */
  static Set<Long> socketInodes(long pid) {
    Set<Long> out = new HashSet<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC.resolve(Long.toString(pid)).resolve("fd"))) {
      for (Path fd : fds) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[") && target.endsWith("]")) {
            out.add(Long.parseLong(target.substring(8, target.length() - 1)));
          }
        } catch (IOException | NumberFormatException e) {
          // closed while we looked
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone, or not ours to read
    }
    return out;
  }

  /** The command line of {@code pid}, shortened; "?" if it cannot be read. */
  static String command(long pid) {
    String raw = read(PROC.resolve(Long.toString(pid)).resolve("cmdline"));
    if (raw == null || raw.isEmpty()) {
      return "?";
    }
    String cmd = raw.replace('\0', ' ').strip();
    return cmd.length() > MAX_COMMAND ? cmd.substring(0, MAX_COMMAND) + "…" : cmd;
  }

  private static String read(Path file) {
    try {
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (IOException | SecurityException e) {
      return null;
    }
  }
}
