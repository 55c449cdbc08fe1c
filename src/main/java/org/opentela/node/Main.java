package org.opentela.node;

import org.opentela.Version;
import com.typesafe.config.Config;
import java.io.IOException;
import org.opentela.config.Command;
import org.opentela.config.CommandLine;
import org.opentela.config.ConfigReader;
import org.opentela.node.NodeSettings;
import org.opentela.config.UsageException;
import org.opentela.identity.NodeIdentity;
import org.opentela.sim.LlmSim;

/**
 * The otela command line: {@code otela [start|peer-id|version|llm-sim|demo] [flags]}. Exit codes: 0 done,
 * 1 failure, 2 bad command line or settings.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    commonPoolForSmallMachines();
    int code;
    try {
      code = run(args);
    } catch (UsageException e) {
      System.err.println("otela: " + e.getMessage());
      code = 2;
    }
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

  static int run(String[] args) {
    if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help"))) {
      System.out.print(usage());
      return 0;
    }
    CommandLine cl = CommandLine.parse(args);
    if (cl.help()) {
      System.out.print(cl.flags().help());
      return 0;
    }
    Config config = cl.load();
    return switch (cl.command()) {
      case START -> Node.run(config, NodeSettings.fromConfig(config));
      case PEER_ID -> printPeerId(config);
      case VERSION -> {
        System.out.println("otela " + Version.CURRENT + " (Java " + System.getProperty("java.version") + ")");
        yield 0;
      }
      case DEMO -> runDemo(config);
      case LLM_SIM -> LlmSim.run(config);
    };
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

  private static int printPeerId(Config config) {
    ConfigReader r = new ConfigReader(config);
    var seed = NodeSettings.seed(r, "otela.seed");
    try {
      NodeIdentity id = seed.isPresent() ? NodeIdentity.fromSeed(seed.getAsLong())
          : NodeIdentity.loadOrCreate(keyFile(r));
      System.out.println(id.peerId());
      return 0;
    } catch (IOException e) {
      System.err.println("otela: cannot read the key file: " + e.getMessage());
      return 1;
    }
  }

  private static java.nio.file.Path keyFile(ConfigReader r) {
    String k = r.string("otela.key-file");
    return k.isEmpty() ? NodeSettings.defaultKeyFile(r.path("otela.datadir"), NodeSettings.DEFAULT_TCP_PORT)
        : ConfigReader.expandHome(k);
  }

  static String usage() {
    StringBuilder sb = new StringBuilder("Usage: otela <command> [flags]   (default command: start)\n\nCommands:\n");
    for (Command c : Command.values()) {
      sb.append(String.format("  %-9s %s%n", c.word(), c.summary()));
    }
    sb.append("\nRun 'otela <command> --help' for the command's flags.\n");
    return sb.toString();
  }
}
