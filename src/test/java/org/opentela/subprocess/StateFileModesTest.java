package org.opentela.subprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.PrivateFiles;
import org.opentela.testing.LogCapture;

/**
 * A backend's state file is for the node's user only (it holds the --subprocess command, which may carry
 * a token), and the command is logged with its secrets masked.
 */
class StateFileModesTest {
  private static final String SECRET = "sk-do-not-leak-123";

  @TempDir
  Path root;

  @AfterEach
  void stop() throws Exception {
    BackendProcesses.stop(root.resolve("node"), "tok", Duration.ofSeconds(1)).get(10, TimeUnit.SECONDS);
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void thePgidFileIs0600InA0700DirectoryAndTheLoggedCommandIsMasked() throws Exception {
    Path nodeDir = root.resolve("node");
    // The flag sits in a shell comment: `sleep 300 --api-key X` exits at once (sleep refuses the option), and
    // the exit removed the pgid file while this test looked at it. The command line is masked the same way.
    String command = "HF_TOKEN=" + SECRET + " exec sleep 300 # --api-key " + SECRET;
    String logged;
    try (LogCapture log = new LogCapture()) {
      BackendProcesses.startOrAdopt(new BackendProcess.Launch("tok", command, 1, Duration.ofSeconds(1), nodeDir, 0,
          null)).get(10, TimeUnit.SECONDS);
      logged = String.join("\n", log.find(Level.INFO, "Started tok"));
    }
    Path pgid = PgidFile.path(nodeDir, "tok");
    assertEquals("rw-------", mode(pgid), "the state file holds the command line");
    assertEquals("rwx------", mode(nodeDir));
    assertTrue(Files.readString(pgid).contains("sleep 300"), "the record still names the command");
    assertTrue(logged.contains("Started tok"), logged);
    assertFalse(logged.contains(SECRET), logged);
    assertTrue(logged.contains("HF_TOKEN=***") && logged.contains("--api-key ***"), logged);
  }

  @Test
  void privateDirectoriesAre0700WhetherNewOrNot() throws Exception {
    Path existing = Files.createDirectory(root.resolve("old"), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwxr-xr-x")));
    PrivateFiles.directory(existing);
    assertEquals("rwx------", mode(existing));
    Path fresh = PrivateFiles.directory(root.resolve("a/b/c"));
    assertEquals("rwx------", mode(fresh));
    assertEquals("rwx------", mode(root.resolve("a")), "missing parents are created private too");
    assertEquals("rw-------", mode(PrivateFiles.newFile(fresh.resolve("f"))));
  }
}
