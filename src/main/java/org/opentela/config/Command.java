package org.opentela.config;

import java.util.Set;

/**
 * The CLI's commands. Each one reads its flags from one subtree of the config: a flag {@code --a.b} of
 * a command is the key {@code <prefix>.a.b}.
 */
public enum Command {
  START("start", "Start a node (head or worker) and join the pool.", "otela", Set.of("llm-sim", "demo"), Set.of()),
  PEER_ID("peer-id", "Print this node's peer id (from --seed or the key file) and exit.", "otela", Set.of(),
      Set.of("seed", "datadir", "key-file", "config")),
  VERSION("version", "Print the version and exit.", "otela", Set.of(), Set.of("config")),
  LLM_SIM("llm-sim", "Run the simulated OpenAI-compatible LLM backend.", "otela.llm-sim", Set.of(), Set.of()),
  DEMO("demo", "Start a head and two llm-sim workers on this machine, and print how to use them.",
      "otela.demo", Set.of(), Set.of());

  private final String word;
  private final String summary;
  private final String prefix;
  private final Set<String> excludedSubtrees;
  private final Set<String> onlyFlags;

  Command(String word, String summary, String prefix, Set<String> excludedSubtrees, Set<String> onlyFlags) {
    this.word = word;
    this.summary = summary;
    this.prefix = prefix;
    this.excludedSubtrees = excludedSubtrees;
    this.onlyFlags = onlyFlags;
  }

  public String word() {
    return word;
  }

  public String summary() {
    return summary;
  }

  /** Config path whose leaves are this command's flags. */
  public String prefix() {
    return prefix;
  }

  boolean accepts(String flagName) {
    if (!onlyFlags.isEmpty()) {
      return onlyFlags.contains(flagName);
    }
    int dot = flagName.indexOf('.');
    String head = dot < 0 ? flagName : flagName.substring(0, dot);
    return !excludedSubtrees.contains(head);
  }

  public static Command fromWord(String word) {
    for (Command c : values()) {
      if (c.word.equals(word)) {
        return c;
      }
    }
    StringBuilder known = new StringBuilder();
    for (Command c : values()) {
      known.append(known.length() == 0 ? "" : ", ").append(c.word);
    }
    throw new UsageException("unknown command '" + word + "' (expected one of: " + known + ")");
  }
}
