package org.opentela.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Reads typed values from config, turning every failure into a {@link UsageException} that names the
 * flag, the value and what was expected.
 */
public final class ConfigReader {
  private static final Pattern BARE_NUMBER = Pattern.compile("[0-9]+(\\.[0-9]+)?");

  private final Config config;

  public ConfigReader(Config config) {
    this.config = config;
  }

  public String string(String key) {
    try {
      return config.getString(key).trim();
    } catch (ConfigException e) {
      throw UsageException.badValue(key, raw(key), "a string");
    }
  }

  public int intInRange(String key, int min, int max) {
    int v;
    try {
      v = config.getInt(key);
    } catch (ConfigException e) {
      throw UsageException.badValue(key, raw(key), "an integer " + min + ".." + max);
    }
    if (v < min || v > max) {
      throw UsageException.badValue(key, v, "an integer " + min + ".." + max);
    }
    return v;
  }

  /** A TCP port; 0 means "any free port". */
  public int port(String key) {
    return intInRange(key, 0, 65535);
  }

  public double doubleInRange(String key, double min, double max) {
    double v;
    try {
      v = config.getDouble(key);
    } catch (ConfigException e) {
      throw UsageException.badValue(key, raw(key), "a number " + min + ".." + max);
    }
    if (v < min || v > max || Double.isNaN(v)) {
      throw UsageException.badValue(key, v, "a number " + min + ".." + max);
    }
    return v;
  }

  public boolean bool(String key) {
    try {
      return config.getBoolean(key);
    } catch (ConfigException e) {
      throw UsageException.badValue(key, raw(key), "true or false");
    }
  }

  /**
   * A positive duration such as 500ms, 10s, 30m. A bare number is refused: HOCON would read it as
   * milliseconds, so {@code --service.start_timeout 600} would give a model 0.6 s to load.
   */
  public Duration duration(String key) {
    String bare = bareNumber(key);
    if (bare != null) {
      throw UsageException.badValue(key, bare, "a duration with a unit, such as 500ms, 10s or 5m; did you mean "
          + bare + "s?");
    }
    Duration d;
    try {
      d = config.getDuration(key);
    } catch (ConfigException e) {
      throw UsageException.badValue(key, raw(key), "a duration such as 500ms, 10s or 5m");
    }
    if (d.isNegative() || d.isZero()) {
      throw UsageException.badValue(key, raw(key), "a positive duration such as 500ms, 10s or 5m");
    }
    return d;
  }

  /** The value of {@code key} if it is a number without a unit (given as a number or as a string of digits), else null. */
  private String bareNumber(String key) {
    if (!config.hasPath(key)) {
      return null;
    }
    ConfigValue v = config.getValue(key);
    String text = v.valueType() == ConfigValueType.NUMBER || v.valueType() == ConfigValueType.STRING
        ? String.valueOf(v.unwrapped()).trim() : "";
    return BARE_NUMBER.matcher(text).matches() ? text : null;
  }

  /** A size in bytes such as 32MiB or 1048576. */
  public long bytes(String key) {
    long v;
    try {
      v = config.getBytes(key);
    } catch (ConfigException e) {
      throw UsageException.badValue(key, raw(key), "a size such as 8MiB, 512KiB or 1048576");
    }
    if (v <= 0) {
      throw UsageException.badValue(key, v, "a positive size");
    }
    return v;
  }

  /** One of {@code choices} (case-insensitive), returned in lower case. */
  public String choice(String key, String... choices) {
    String v = string(key).toLowerCase(Locale.ROOT);
    for (String c : choices) {
      if (c.equals(v)) {
        return c;
      }
    }
    throw UsageException.badValue(key, v, "one of " + String.join(", ", choices));
  }

  /** A list, given either as a HOCON list or as one string separated by commas or spaces. */
  public List<String> list(String key) {
    try {
      if (config.getValue(key).valueType() == ConfigValueType.LIST) {
        return CommandLine.splitList(config.getStringList(key));
      }
      return CommandLine.splitList(List.of(config.getString(key)));
    } catch (ConfigException e) {
      throw UsageException.badValue(key, raw(key), "a list of strings");
    }
  }

  /** A path; a leading "~" is the home directory. */
  public Path path(String key) {
    return expandHome(string(key));
  }

  public static Path expandHome(String p) {
    if (p.equals("~") || p.startsWith("~/")) {
      return Path.of(System.getProperty("user.home") + p.substring(1));
    }
    return Path.of(p);
  }

  private String raw(String key) {
    try {
      return config.hasPath(key) ? String.valueOf(config.getValue(key).unwrapped()) : "<missing>";
    } catch (ConfigException e) {
      return "<invalid>";
    }
  }
}
