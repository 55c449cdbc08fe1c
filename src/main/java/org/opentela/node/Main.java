package org.opentela.node;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.PrintStream;
import org.opentela.Version;
import org.opentela.auth.KeysCommand;
import org.opentela.config.Command;
import org.opentela.config.CommandLine;
import org.opentela.config.ConfigReader;
import org.opentela.config.UsageException;
import org.opentela.identity.IdentitySource;
import org.opentela.identity.NodeIdentity;
import org.opentela.sim.LlmSim;
import org.opentela.status.StatusCommand;
import org.opentela.trust.PoolCommands;

/**
 * The otela command line: {@code otela [start|peer-id|status|version|llm-sim|demo|keys] [flags]}. Exit codes: 0 done,
 * 1 failure, 2 bad command line or settings.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    homeFollowsEnvironment(System.getenv("HOME"));
    commonPoolForSmallMachines();
    int code;
    try {
      code = run(args);
    } catch (UsageException e) {
      System.err.println("otela: " + e.getMessage());
      code = 2;
    }
    exit(code);
  }

  /** Ends the process with {@code code}, once the log is written out ({@link Logging#drain}). */
  static void exit(int code) {
    Logging.drain();
    System.exit(code);
  }

  /**
   * Gives the JDK's common pool at least two threads on a machine with fewer than 3 cores, for the
   * continuations that do not name an executor (why that matters: {@link org.opentela.SameThread}). Must run before
   * anything uses the pool; an explicit -Djava.util.concurrent.ForkJoinPool.common.parallelism wins.
   */
  static void commonPoolForSmallMachines() {
    String key = "java.util.concurrent.ForkJoinPool.common.parallelism";
    if (System.getProperty(key) == null && Runtime.getRuntime().availableProcessors() < 3) {
      System.setProperty(key, "2");
    }
  }

  /**
   * Makes {@code user.home} (where {@code ~} in {@code --datadir} points) follow {@code $HOME}, as a user
   * expects of a command-line tool: Java takes it from the password database, so {@code HOME=/scratch
   * otela start} would otherwise keep its state in the account's home. A {@code -Duser.home} given to the
   * JVM wins.
   */
  static void homeFollowsEnvironment(String home) {
    if (home == null || home.isBlank() || home.equals(System.getProperty("user.home"))) {
      return;
    }
    boolean explicit = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .anyMatch(a -> a.startsWith("-Duser.home="));
    if (!explicit) {
      System.setProperty("user.home", home);
    }
  }

  static int run(String[] args) {
    return run(args, System.out, System.err);
  }

  /** Runs one command; what a command prints goes to {@code out}, what it complains about to {@code err}. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
      out.print(usage());
      return 0;
    }
    if (args.length > 0 && args[0].equals(Command.KEYS.word())) {
      return keys(args, out, err);
    }
    CommandLine cl = CommandLine.parse(args);
    if (cl.help()) {
      out.print(cl.flags().help());
      return 0;
    }
    Config config = cl.load();
    return switch (cl.command()) {
      case START -> {
        Logging.apply(new ConfigReader(config).string("otela.log.level"));
        yield Node.run(config, NodeSettings.fromConfig(config));
      }
      case PEER_ID -> printPeerId(config, out, err);
      case VERSION -> {
        out.println("otela " + Version.CURRENT + " (commit " + Version.COMMIT + ", Java "
            + System.getProperty("java.version") + ")");
        yield 0;
      }
      case STATUS -> StatusCommand.run(config, System.getenv(), out, err);
      case DEMO -> runDemo(config);
      case LLM_SIM -> LlmSim.run(config);
      case TOKEN -> PoolCommands.token(config, cl.arguments(), System.out);
      case NODES -> PoolCommands.nodes(config, cl.arguments(), System.out);
      case KEYS -> keys(args, out, err);
    };
  }

  /** {@code otela keys ACTION [NAME] [flags]}: the words before the first flag are the action and its key. */
  private static int keys(String[] args, PrintStream out, PrintStream err) {
    java.util.List<String> words = new java.util.ArrayList<>();
    int i = 1;
    while (i < args.length && !args[i].startsWith("-")) {
      words.add(args[i++]);
    }
    String[] rest = new String[args.length - i + 1];
    rest[0] = Command.KEYS.word();
    System.arraycopy(args, i, rest, 1, args.length - i);
    CommandLine cl = CommandLine.parse(rest);
    if (cl.help() || words.isEmpty()) {
      (cl.help() ? out : err).print(cl.flags().help());
      return cl.help() ? 0 : 2;
    }
    return KeysCommand.run(words.get(0), words.subList(1, words.size()), cl.load(), System.getenv(), out, err);
  }

  private static int runDemo(Config config) {
    try {
      return Demo.run(config, Main.class);
    } catch (java.io.IOException e) {
      System.err.println("otela demo: " + e.getMessage());
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  /** The peer id {@code otela start} with the same flags has; a key is created only with --create. */
  private static int printPeerId(Config config, PrintStream out, PrintStream err) {
    IdentitySource source = IdentitySource.fromConfig(config);
    boolean create = new ConfigReader(config).bool("otela.peer-id.create");
    try {
      NodeIdentity id = create ? source.loadOrCreate() : source.load();
      out.println(id.peerId());
      return 0;
    } catch (IdentitySource.MissingKeyException e) {
      err.println("otela: " + e.getMessage() + " (no --seed given): this node has no peer id yet. 'otela start'"
          + " with the same flags creates the key; to create it now, run 'otela peer-id' again with --create.");
      return 1;
    } catch (IOException e) {
      err.println("otela: cannot read the key file " + source.keyFile() + ": " + e.getMessage());
      return 1;
    }
  }

  static String usage() {
    StringBuilder sb = new StringBuilder("otela pools GPU machines into one OpenAI-compatible endpoint.\n\n"
        + "Usage: otela <command> [flags]\n\nCommands:\n");
    for (Command c : Command.values()) {
      sb.append(String.format("  %-9s %s%n", c.word(), c.summary()));
    }
    sb.append("""

        Try it on this machine (a head and two simulated workers):
          otela demo
        Start the head of a pool, then a worker on each GPU machine (see 'otela start --help'):
          otela start --mode standalone --public-addr <this machine's address> --seed 0
          otela start --bootstrap.addr <the address the head prints> --subprocess "vllm serve ..." \\
            --service.name llm --service.port 8080

        Run 'otela <command> --help' for the command's flags.
        """);
    return sb.toString();
  }
}
