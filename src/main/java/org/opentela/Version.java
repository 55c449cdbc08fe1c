package org.opentela;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** otela's version and commit, from the build. Nodes of a different major.minor version are refused. */
public final class Version {
  public static final String CURRENT = load("version", "dev");

  /** The git commit the jar was built from (recorded by the build), or "unknown" (built outside a git clone). */
  public static final String COMMIT = load("commit", "unknown");

  private Version() {}

  private static String load(String key, String fallback) {
    try (InputStream in = Version.class.getResourceAsStream("/otela/version.properties")) {
      if (in == null) {
        return fallback;
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty(key, fallback).trim();
      return v.isEmpty() || v.startsWith("${") ? fallback : v;
    } catch (IOException e) {
      return fallback;
    }
  }

  /** "1.2" of "1.2.3": versions that share it speak the same cluster protocol. */
  public static String protocol(String version) {
    String[] parts = version.split("\\.");
    return parts.length >= 2 ? parts[0] + "." + parts[1] : version;
  }
}
