package org.opentela.config;

import java.util.Optional;
import java.util.Set;

/**
 * The CLI's commands. Each one reads its flags from one subtree of the config: a flag {@code --a.b} of
 * a command is the key {@code <prefix>.a.b}. A command may also have flags of its own, in a subtree that
 * other commands exclude ({@code otela.peer-id.create} is {@code --create} of {@code peer-id}).
 */
public enum Command {
  START("start", "Start a node (head or worker) and join the pool.", "otela", "",
      Set.of("llm-sim", "demo", "peer-id", "keys", "status"), Set.of(), Set.of()),
  PEER_ID("peer-id", "Print the peer id that 'otela start' with the same flags gives the node, and exit."
      + " Reads the key from --seed or the key file; creates no key unless given --create.", "otela",
      "otela.peer-id", Set.of("llm-sim", "demo", "peer-id", "status"), Set.of(),
      Set.of("seed", "key-file", "datadir", "tcpport", "config", "create")),
  STATUS("status", "Show the pool as a head sees it: nodes, models, workers and their load (like kubectl get"
      + " nodes); --watch refreshes it in place. Exits 1 when no head answers.", "otela.status", "", Set.of(),
      Set.of(), Set.of()),
  VERSION("version", "Print the version and exit.", "otela", "", Set.of(), Set.of("config"), Set.of()),
  LLM_SIM("llm-sim", "Run the simulated OpenAI-compatible LLM backend.", "otela.llm-sim", "", Set.of(), Set.of(),
      Set.of()),
  DEMO("demo", "Start a head and two llm-sim workers on this machine, and print how to use them.",
      "otela.demo", "", Set.of(), Set.of(), Set.of()),
  TOKEN("token", "On a closed pool's head: 'token show' prints the join token, 'token rotate' replaces it.",
      "otela", "", Set.of(), Set.of(), Set.of("datadir", "config", "pool.token-file")),
  NODES("nodes", "On a closed pool's head: 'nodes revoke PEER_ID' removes a node from the pool for good.",
      "otela", "", Set.of(), Set.of(), Set.of("datadir", "config")),
  KEYS("keys", "Manage the pool's API keys through a head's admin API: 'otela keys create --name alice [--rpm N]"
      + " [--tpm N] [--max-parallel N] [--models m1,m2] [--expires 30d]' prints the new key alone on stdout;"
      + " 'otela keys list'; 'otela keys revoke NAME|ID'; 'otela keys usage [NAME|ID]'. The admin key comes from"
      + " OTELA_ADMIN_KEY or --admin_key_file.", "otela.keys", "", Set.of(), Set.of(), Set.of());

  private final String word;
  private final String summary;
  private final String prefix;
  private final String ownPrefix;
  private final Set<String> excludedSubtrees;
  private final Set<String> onlyFlags;
  private final Set<String> listedFlags;

  Command(String word, String summary, String prefix, String ownPrefix, Set<String> excludedSubtrees,
      Set<String> onlyFlags, Set<String> listedFlags) {
    this.word = word;
    this.summary = summary;
    this.prefix = prefix;
    this.ownPrefix = ownPrefix;
    this.excludedSubtrees = excludedSubtrees;
    this.onlyFlags = onlyFlags;
    this.listedFlags = listedFlags;
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

  /** Config path whose leaves are flags of this command alone, named without the path. */
  public Optional<String> ownPrefix() {
    return ownPrefix.isEmpty() ? Optional.empty() : Optional.of(ownPrefix);
  }

  /** True if the command takes words after it (a sub-command, a peer id). */
  public boolean takesArguments() {
    return this == TOKEN || this == NODES;
  }

  boolean accepts(String flagName) {
    if (!onlyFlags.isEmpty()) {
      return onlyFlags.contains(flagName);
    }
    int dot = flagName.indexOf('.');
    String head = dot < 0 ? flagName : flagName.substring(0, dot);
    return !excludedSubtrees.contains(head);
  }

  /** Whether {@code --help} lists the flag; the others are accepted and ignored. */
  boolean lists(String flagName) {
    return listedFlags.isEmpty() || listedFlags.contains(flagName);
  }

  public static Command fromWord(String word) {
    for (Command c : values()) {
      if (c.word.equals(word)) {
        return c;
      }
    }
    java.util.List<String> words = new java.util.ArrayList<>();
    for (Command c : values()) {
      words.add(c.word);
    }
    String hint = Suggestions.closest(word, words).map(w -> "did you mean '" + w + "'? ").orElse("");
    throw new UsageException("unknown command '" + word + "' (" + hint + "expected one of: "
        + String.join(", ", words) + "; see: otela --help)");
  }
}
