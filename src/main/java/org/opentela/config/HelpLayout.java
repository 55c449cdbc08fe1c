package org.opentela.config;

import java.util.List;

/**
 * How {@code otela <command> --help} is laid out: examples first (what most readers came for), then the
 * flags in groups, each flag in the first group one of whose prefixes it has. A flag no group claims is
 * listed under "Other flags", so a new flag is never hidden.
 */
record HelpLayout(String examples, List<Group> groups) {

  /**
   * A titled group of flags: those named {@code p} or {@code p.<anything>} for a prefix {@code p}, listed
   * in the order of their prefixes (the flags most users need first).
   */
  record Group(String title, List<String> prefixes) {
    boolean claims(String flag) {
      return rank(flag) >= 0;
    }

    /** The index of the prefix that claims {@code flag}, or -1. */
    int rank(String flag) {
      for (int i = 0; i < prefixes.size(); i++) {
        String p = prefixes.get(i);
        if (flag.equals(p) || flag.startsWith(p + ".")) {
          return i;
        }
      }
      return -1;
    }
  }

  static final String OTHER = "Other flags";

  private static final HelpLayout START = new HelpLayout("""
      Examples:
        # The first node of a pool (a head); the workers join it at the address it prints:
        otela start --mode standalone --public-addr 10.0.0.5 --seed 0

        # A GPU worker running vLLM, joining that head:
        otela start --bootstrap.addr /ip4/10.0.0.5/tcp/43905/p2p/QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE \\
          --subprocess "vllm serve Qwen/Qwen3-8B --max_model_len 16384 --port 8080" \\
          --service.name llm --service.port 8080 --seed 1

        # A worker without a GPU, on the built-in simulated backend:
        otela start --bootstrap.addr /ip4/10.0.0.5/tcp/43905/p2p/QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE \\
          --subprocess "otela llm-sim --port 8080 --model Qwen/Qwen3-8B" --service.name llm --service.port 8080

        # A second node on the same machine needs its own ports:
        otela start ... --port 8093 --tcpport 43906 --management.port 8559
      """, List.of(
      new Group("Node", List.of("mode", "role", "public-addr", "seed", "key-file", "datadir", "config", "log")),
      new Group("Cluster", List.of("bootstrap", "tcpport", "management", "drain", "table")),
      new Group("Service (the backend this node runs and registers)", List.of("subprocess", "service.name",
          "service.port", "service.identity_group", "service.start_timeout", "service")),
      new Group("Routing", List.of("lb-policy", "routing")),
      new Group("HTTP", List.of("port", "http")),
      new Group("Security (a closed pool, API keys)", List.of("pool", "join-token", "join-token-file", "tls", "auth")),
      new Group("Observability", List.of("otel"))));

  /** The layout of {@code command}'s help: START's groups, or one plain list for the others. */
  static HelpLayout of(Command command) {
    return command == Command.START ? START : new HelpLayout("", List.of());
  }
}
