package org.opentela.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.config.CommandLine;

/**
 * {@code otela peer-id} in this JVM: with the flags of an {@code otela start} command line it prints the
 * peer id that start's {@link Node#prepare} gives the node, and it creates a key only with --create.
 */
class PeerIdCommandTest {
  @TempDir
  Path dir;

  /** What a command printed and returned. */
  private record Run(int code, String out, String err) {}

  private static Run run(List<String> args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static List<String> with(String command, List<String> flags) {
    List<String> all = new ArrayList<>(List.of(command));
    all.addAll(flags);
    return all;
  }

  private String startsPeerId(List<String> flags) throws Exception {
    var config = CommandLine.parse(with("start", flags).toArray(String[]::new)).load(new Properties());
    return Node.prepare(NodeSettings.fromConfig(config)).identity().peerId();
  }

  @Test
  void peerIdPrintsThePeerIdStartGivesTheNodeForTheSameFlags() throws Exception {
    List<String> common = List.of("--mode", "standalone", "--public-addr", "127.0.0.1", "--port", "18092",
        "--subprocess", "vllm serve x --port 8080", "--service.name", "llm", "--service.port", "8080");
    for (List<String> identity : List.<List<String>>of(
        List.of("--seed", "7"),
        List.of("--key-file", dir.resolve("keys/node.key").toString()),
        List.of("--tcpport", "5000"),
        List.of())) {
      List<String> flags = new ArrayList<>(common);
      flags.addAll(List.of("--datadir", dir.resolve("data" + identity.size() + identity.hashCode()).toString()));
      flags.addAll(identity);
      String started = startsPeerId(flags);
      Run r = run(with("peer-id", flags));
      assertEquals(0, r.code(), r.err());
      assertEquals(started + System.lineSeparator(), r.out(), "peer-id " + identity);
    }
  }

  @Test
  void aNodeOnANonDefaultTcpPortHasItsOwnKeyAndPeerIdFindsIt() throws Exception {
    Path data = dir.resolve("shared");
    String onDefault = startsPeerId(List.of("--mode", "standalone", "--public-addr", "127.0.0.1", "--datadir",
        data.toString()));
    String on5000 = startsPeerId(List.of("--mode", "standalone", "--public-addr", "127.0.0.1", "--datadir",
        data.toString(), "--tcpport", "5000"));
    assertFalse(onDefault.equals(on5000), "two nodes in one data dir have distinct keys");
    assertEquals(on5000 + System.lineSeparator(),
        run(List.of("peer-id", "--datadir", data.toString(), "--tcpport", "5000")).out());
    assertEquals(onDefault + System.lineSeparator(), run(List.of("peer-id", "--datadir", data.toString())).out());
  }

  @Test
  void withoutAKeyPeerIdSaysSoAndCreatesNoneUnlessAskedTo() {
    Path data = dir.resolve("fresh");
    Run missing = run(List.of("peer-id", "--datadir", data.toString(), "--tcpport", "5000"));
    assertEquals(1, missing.code());
    assertEquals("", missing.out());
    assertTrue(missing.err().contains("no key file at " + data.resolve("identity-5000.key"))
        && missing.err().contains("--create"), missing.err());
    assertFalse(Files.exists(data), "nothing was created");

    Run created = run(List.of("peer-id", "--datadir", data.toString(), "--tcpport", "5000", "--create"));
    assertEquals(0, created.code(), created.err());
    assertTrue(Files.exists(data.resolve("identity-5000.key")));
    Run again = run(List.of("peer-id", "--datadir", data.toString(), "--tcpport", "5000"));
    assertEquals(created.out(), again.out());
  }

  @Test
  void aSeedNeedsNoKeyFile() {
    Run r = run(List.of("peer-id", "--seed", "0", "--datadir", dir.resolve("none").toString()));
    assertEquals("QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE" + System.lineSeparator(), r.out());
    assertFalse(Files.exists(dir.resolve("none")));
  }
}
