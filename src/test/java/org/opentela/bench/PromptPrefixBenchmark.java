package org.opentela.bench;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.opentela.routing.MatchFields;

/**
 * The HTTP layer's per-request parse of a chat body: its top-level match fields alone ({@code hash=false},
 * what every policy pays), or with the prompt's block hashes ({@code hash=true}, cache-aware). {@code kib}
 * is the body size; its messages are a 2 KB system prompt and a conversation of 1 KB turns.
 * Run by {@code bench/run}; never part of the test suite.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PromptPrefixBenchmark {
  @Param({"4", "64"})
  int kib;

  @Param({"false", "true"})
  boolean hash;

  private byte[] body;

  @Setup
  public void setUp() {
    StringBuilder sb = new StringBuilder("{\"model\":\"Qwen/Qwen3-8B\",\"stream\":true,\"messages\":[");
    sb.append("{\"role\":\"system\",\"content\":\"")
        .append("You are the assistant of a benchmark; answer in full sentences. ".repeat(32)).append("\"}");
    for (int turn = 0; sb.length() < kib * 1024 - 1100; turn++) {
      sb.append(",{\"role\":\"").append(turn % 2 == 0 ? "user" : "assistant").append("\",\"content\":\"")
          .append(("Turn " + turn + " says something \\\"quoted\\\" and something plain. ").repeat(18)).append("\"}");
    }
    sb.append("],\"max_tokens\":256}");
    body = sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Benchmark
  public MatchFields parse() throws Exception {
    return MatchFields.ofJson(body, 0, body.length, hash);
  }
}
