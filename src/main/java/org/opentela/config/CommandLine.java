package org.opentela.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A parsed command line: the command, its flags and its {@code -Dkey=value} overrides.
 *
 * <p>{@code otela [command] [--flag value | --flag=value | -Dkey=value]...}; the command defaults to
 * {@code start}, so {@code java -jar otela.jar -Dotela.role=head} starts a head.
 */
public final class CommandLine {
  private final Command command;
  private final Flags flags;
  private final Map<String, List<String>> flagValues;
  private final Map<String, String> overrides;
  private final boolean help;
  private final List<String> arguments;

  private CommandLine(Command command, Flags flags, Map<String, List<String>> flagValues,
      Map<String, String> overrides, boolean help, List<String> arguments) {
    this.command = command;
    this.flags = flags;
    this.flagValues = flagValues;
    this.overrides = overrides;
    this.help = help;
    this.arguments = List.copyOf(arguments);
  }

  /** Parses {@code args}; an unknown flag or a missing value throws {@link UsageException}. */
  public static CommandLine parse(String[] args) {
    int i = 0;
    Command command = Command.START;
    if (args.length > 0 && !args[0].startsWith("-")) {
      command = Command.fromWord(args[0]);
      i = 1;
    }
    final Command cmd = command;
    Flags flags = Flags.of(command, ConfigFactory.defaultReferenceUnresolved());
    Map<String, List<String>> values = new LinkedHashMap<>();
    Map<String, String> overrides = new LinkedHashMap<>();
    boolean help = false;
    List<String> arguments = new ArrayList<>();
    for (; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h") || arg.equals("help")) {
        help = true;
      } else if (arg.startsWith("-D") && arg.length() > 2) {
        int eq = arg.indexOf('=');
        if (eq < 0) {
          throw new UsageException(arg + ": expected -Dkey=value");
        }
        overrides.put(arg.substring(2, eq), arg.substring(eq + 1));
      } else if (arg.startsWith("--") && arg.length() > 2) {
        int eq = arg.indexOf('=');
        String name = eq < 0 ? arg.substring(2) : arg.substring(2, eq);
        Flags.Flag flag = flags.find(name).orElseThrow(() -> unknownFlag(cmd, flags, name));
        String value;
        if (eq >= 0) {
          value = arg.substring(eq + 1);
        } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
          value = args[++i];
        } else if (flag.isBoolean()) {
          value = "true";
        } else {
          throw new UsageException("--" + name + ": missing value (see: otela " + command.word() + " --help)");
        }
        values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
      } else if (command.takesArguments()) {
        arguments.add(arg);
      } else {
        throw new UsageException("unexpected argument '" + arg + "' (flags start with --; see: otela "
            + command.word() + " --help)");
      }
    }
    return new CommandLine(command, flags, values, overrides, help, arguments);
  }

  private static UsageException unknownFlag(Command command, Flags flags, String name) {
    java.util.List<String> names = new ArrayList<>();
    flags.all().forEach(f -> names.add(f.name()));
    String hint = Suggestions.closest(name, names).map(n -> "did you mean --" + n + "? ").orElse("");
    return new UsageException("--" + name + ": unknown flag for 'otela " + command.word()
        + "' (" + hint + "see: otela " + command.word() + " --help)");
  }

  public Command command() {
    return command;
  }

  public Flags flags() {
    return flags;
  }

  public boolean help() {
    return help;
  }

  /** The words after the command that are not flags (for commands that take them). */
  public List<String> arguments() {
    return arguments;
  }

  /** Loads the config with this process's system properties. */
  public Config load() {
    return load(System.getProperties());
  }

  /**
   * Merges, highest first: flags, {@code -D} arguments, JVM system properties, {@code --config FILE},
   * application.conf, reference.conf; then resolves substitutions.
   */
  public Config load(Properties systemProperties) {
    try {
      Map<String, Object> fromFlags = new LinkedHashMap<>();
      flagValues.forEach((name, vals) -> {
        Flags.Flag flag = flags.find(name).orElseThrow();
        fromFlags.put(flag.key(), flag.isList() ? ConfigValueFactory.fromIterable(splitList(vals))
            : vals.get(vals.size() - 1));
      });
      Config flagConf = ConfigFactory.parseMap(fromFlags, "command-line flags");
      Config argConf = ConfigFactory.parseMap(overrides, "-D arguments");
      Config sysConf = ConfigFactory.parseProperties(systemProperties);
      Config top = flagConf.withFallback(argConf).withFallback(sysConf);
      Config file = ConfigFactory.empty();
      String path = top.hasPath("otela.config") ? top.getString("otela.config") : "";
      if (!path.isBlank()) {
        File f = new File(path);
        if (!f.isFile()) {
          throw new UsageException("--config: '" + path + "' (expected: a readable HOCON file)");
        }
        file = ConfigFactory.parseFile(f, ConfigParseOptions.defaults().setAllowMissing(false));
      }
      return top.withFallback(file)
          .withFallback(ConfigFactory.parseResources("application.conf"))
          .withFallback(ConfigFactory.defaultReferenceUnresolved())
          .resolve();
    } catch (ConfigException e) {
      throw new UsageException("invalid configuration: " + e.getMessage());
    }
  }

  /** "a,b c" and repeated flags both give [a, b, c]. */
  static List<String> splitList(List<String> values) {
    List<String> out = new ArrayList<>();
    for (String v : values) {
      for (String part : v.split("[,\\s]+")) {
        if (!part.isEmpty()) {
          out.add(part);
        }
      }
    }
    return out;
  }
}
