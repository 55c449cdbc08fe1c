package org.opentela;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * A node's state (the data dir) is for the user who runs it: directories 0700, files 0600. The files
 * hold what other local users must not read (a backend's command line, with its tokens; the node's key).
 * On a file system without POSIX permissions, files and directories are created as the platform does.
 */
public final class PrivateFiles {
  public static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
  public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  private PrivateFiles() {}

  /**
   * {@code dir} and its missing parents, each created 0700; {@code dir} itself made 0700 if it existed.
   * Parents that existed are left as they are (the user's home, /tmp).
   */
  public static Path directory(Path dir) throws IOException {
    Path abs = dir.toAbsolutePath();
    if (!posix(abs)) {
      return Files.createDirectories(abs);
    }
    Path parent = abs.getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      directory(parent);
    }
    try {
      Files.createDirectory(abs, PosixFilePermissions.asFileAttribute(DIRECTORY));
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(abs)) {
        throw e;
      }
    }
    Files.setPosixFilePermissions(abs, DIRECTORY);
    return abs;
  }

  /** A new empty file at {@code file}, 0600 (replacing one that is there). */
  public static Path newFile(Path file) throws IOException {
    Files.deleteIfExists(file);
    if (!posix(file.toAbsolutePath())) {
      return Files.createFile(file);
    }
    FileAttribute<Set<PosixFilePermission>> mode = PosixFilePermissions.asFileAttribute(FILE);
    return Files.createFile(file, mode);
  }

  private static boolean posix(Path p) {
    Path existing = p;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    return existing != null && Files.getFileAttributeView(existing, PosixFileAttributeView.class) != null;
  }
}
