package org.opentela;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** otela's version, from the build. Nodes of a different major.minor version are refused. */
public final class Version {
  public static final String CURRENT = load();

  private Version() {}

  private static String load() {
    try (InputStream in = Version.class.getResourceAsStream("/otela/version.properties")) {
      if (in == null) {
        return "dev";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "dev");
      return v.startsWith("${") ? "dev" : v;
    } catch (IOException e) {
      return "dev";
    }
  }

  /** "1.2" of "1.2.3": versions that share it speak the same cluster protocol. */
  public static String protocol(String version) {
    String[] parts = version.split("\\.");
    return parts.length >= 2 ? parts[0] + "." + parts[1] : version;
  }
}
