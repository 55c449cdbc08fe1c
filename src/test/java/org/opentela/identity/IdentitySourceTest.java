package org.opentela.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentitySourceTest {
  @TempDir
  Path dir;

  @Test
  void theDefaultKeyFileDependsOnTheClusterPort() {
    assertEquals(dir.resolve("identity.key"),
        IdentitySource.resolve(OptionalLong.empty(), "", dir, IdentitySource.DEFAULT_TCP_PORT).keyFile());
    assertEquals(dir.resolve("identity-5000.key"), IdentitySource.resolve(OptionalLong.empty(), "", dir, 5000).keyFile());
    assertEquals(Path.of("/etc/otela/k"), IdentitySource.resolve(OptionalLong.empty(), "/etc/otela/k", dir, 5000).keyFile());
    assertEquals(Path.of(System.getProperty("user.home"), "k"),
        IdentitySource.resolve(OptionalLong.empty(), "~/k", dir, 5000).keyFile());
  }

  @Test
  void theDefaultTcpPortIsReferenceConfs() {
    assertEquals(ConfigFactory.defaultReference().getInt("otela.tcpport"), IdentitySource.DEFAULT_TCP_PORT);
  }

  @Test
  void loadNeverCreatesAKey() throws Exception {
    IdentitySource source = IdentitySource.resolve(OptionalLong.empty(), "", dir.resolve("d"), 5000);
    assertThrows(IdentitySource.MissingKeyException.class, source::load);
    assertFalse(Files.exists(dir.resolve("d")));
    NodeIdentity created = source.loadOrCreate();
    assertEquals(created.peerId(), source.load().peerId());
  }

  @Test
  void aSeedWinsOverTheKeyFile() throws Exception {
    IdentitySource source = IdentitySource.resolve(OptionalLong.of(0), "", dir, 5000);
    assertEquals(NodeIdentity.fromSeed(0).peerId(), source.load().peerId());
    assertFalse(Files.exists(source.keyFile()));
  }
}
