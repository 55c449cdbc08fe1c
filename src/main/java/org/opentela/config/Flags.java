package org.opentela.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The flags of one command, read from reference.conf: every leaf key under the command's prefix is a
 * flag, described by the comment above it. reference.conf is the single source of both defaults and help.
 */
public final class Flags {
  /** One flag: {@code --name} is the config key {@code key}. */
  public record Flag(String name, String key, ConfigValueType type, String defaultValue, String description) {
    public boolean isList() {
      return type == ConfigValueType.LIST;
    }

    public boolean isBoolean() {
      return type == ConfigValueType.BOOLEAN;
    }
  }

  private final Command command;
  private final Map<String, Flag> byName;

  private Flags(Command command, Map<String, Flag> byName) {
    this.command = command;
    this.byName = byName;
  }

  public static Flags of(Command command, Config reference) {
    Map<String, Flag> byName = new TreeMap<>();
    if (reference.hasPath(command.prefix())) {
      for (Map.Entry<String, ConfigValue> e : reference.getConfig(command.prefix()).entrySet()) {
        if (command.accepts(e.getKey())) {
          byName.put(e.getKey(), flag(command.prefix(), e));
        }
      }
    }
    command.ownPrefix().filter(reference::hasPath).ifPresent(own -> {
      for (Map.Entry<String, ConfigValue> e : reference.getConfig(own).entrySet()) {
        if (byName.put(e.getKey(), flag(own, e)) != null) {
          throw new IllegalStateException(own + "." + e.getKey() + " clashes with another flag of " + command.word());
        }
      }
    });
    return new Flags(command, byName);
  }

  private static Flag flag(String prefix, Map.Entry<String, ConfigValue> e) {
    ConfigValue v = e.getValue();
    String description = String.join(" ", trimmed(v.origin().comments()));
    String def = v.valueType() == ConfigValueType.STRING ? String.valueOf(v.unwrapped()) : v.render();
    return new Flag(e.getKey(), prefix + "." + e.getKey(), v.valueType(), def, description);
  }

  public Command command() {
    return command;
  }

  public Optional<Flag> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public List<Flag> all() {
    return new ArrayList<>(byName.values());
  }

  /** The user-facing flag for a config key: {@code otela.llm-sim.port -> --port}, {@code otela.port -> --port}. */
  public static String flagName(String key) {
    for (Command c : Command.values()) {
      Optional<String> own = c.ownPrefix().filter(p -> key.startsWith(p + "."));
      if (own.isPresent()) {
        return "--" + key.substring(own.get().length() + 1);
      }
      if (!c.prefix().equals("otela") && key.startsWith(c.prefix() + ".")) {
        return "--" + key.substring(c.prefix().length() + 1);
      }
    }
    return key.startsWith("otela.") ? "--" + key.substring("otela.".length()) : key;
  }

  /**
   * Help text: usage line, summary, examples, then every listed flag with its description and default,
   * in the groups of the command's {@link HelpLayout}.
   */
  public String help() {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: otela ").append(command.word()).append(byName.isEmpty() ? "" : " [flags]").append("\n\n");
    sb.append(command.summary()).append("\n");
    HelpLayout layout = HelpLayout.of(command);
    if (!layout.examples().isEmpty()) {
      sb.append("\n").append(layout.examples());
    }
    if (!byName.isEmpty()) {
      sb.append("\nEach flag --X is also the config key ").append(command.prefix())
          .append(".X (in a --config file, or as -D").append(command.prefix()).append(".X=value).\n");
    }
    Map<String, List<Flag>> grouped = new LinkedHashMap<>();
    layout.groups().forEach(g -> grouped.put(g.title(), new ArrayList<>()));
    boolean unlisted = false;
    for (Flag f : byName.values()) {
      if (!command.lists(f.name())) {
        unlisted = true;
        continue;
      }
      String title = layout.groups().stream().filter(g -> g.claims(f.name())).map(HelpLayout.Group::title)
          .findFirst().orElse(layout.groups().isEmpty() ? "Flags" : HelpLayout.OTHER);
      grouped.computeIfAbsent(title, t -> new ArrayList<>()).add(f);
    }
    for (HelpLayout.Group g : layout.groups()) {
      // Stable: within one prefix the flags stay in name order.
      grouped.get(g.title()).sort(java.util.Comparator.comparingInt(f -> g.rank(f.name())));
    }
    grouped.forEach((title, flags) -> {
      if (!flags.isEmpty()) {
        sb.append("\n").append(title).append(":\n");
        flags.forEach(f -> describe(sb, f));
      }
    });
    sb.append("\n  --help\n      Print this help and exit.\n");
    if (unlisted) {
      sb.append("\nEvery other flag of 'otela start' is accepted and ignored, so a start command line works with '")
          .append(command.word()).append("' in place of 'start'.\n");
    }
    return sb.toString();
  }

  private void describe(StringBuilder sb, Flag f) {
    sb.append("  --").append(f.name());
    sb.append(f.isBoolean() ? "" : f.isList() ? " VALUE[,VALUE...]" : " VALUE");
    if (!f.key().equals(command.prefix() + "." + f.name())) {
      sb.append("   (config key ").append(f.key()).append(")");
    }
    sb.append("\n");
    for (String line : wrap(f.description(), 90)) {
      sb.append("      ").append(line).append("\n");
    }
  }

  private static List<String> trimmed(List<String> comments) {
    List<String> out = new ArrayList<>();
    for (String c : comments) {
      String t = c.trim();
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  private static List<String> wrap(String text, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split("\\s+")) {
      if (line.length() > 0 && line.length() + 1 + word.length() > width) {
        lines.add(line.toString());
        line.setLength(0);
      }
      line.append(line.length() == 0 ? "" : " ").append(word);
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }
}
