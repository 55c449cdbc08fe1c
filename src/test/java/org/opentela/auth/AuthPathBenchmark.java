package org.opentela.auth;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.util.ByteString;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What API keys add to one request on a head, all of it: the key checked (SHA-256, constant-time compare),
 * the request admitted under a key with every limit set (rpm, tpm, max-parallel, models), the body looked
 * at for a stream that needs its usage, OpenAI's rate-limit headers, the usage read from the answer, the
 * slot released and the usage counted. To set beside the CPU a whole request costs a head (bench/run).
 * JMH times it in wall-clock time, which a busy machine inflates; {@link #main} measures the thread's
 * CPU time per request instead, the figure the goal (at most 5 % of a request's CPU) is about. Run by
 * {@code bench/auth}; never part of the test suite.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AuthPathBenchmark {
  static final byte[] ANSWER = ("{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1700000000,"
      + "\"model\":\"bench\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello! How can"
      + " I help you today?\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":9,"
      + "\"total_tokens\":21}}").getBytes(StandardCharsets.UTF_8);
  static final ByteString REQUEST = ByteString.fromString(
      "{\"model\":\"bench\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world!\"}],\"max_tokens\":16}");

  Access access;
  String header;

  @Setup
  public void setUp() {
    AuthSettings s = new AuthSettings(KeySecrets.digest("benchmark-admin-key-0123456789"), "bench",
        new ClientPaths(ClientPaths.DEFAULT, Map.of()), 20, Duration.ofMillis(100), Duration.ofSeconds(1));
    access = new Access(s, System::nanoTime, System::currentTimeMillis, Duration.ofMinutes(16));
    String id = KeySecrets.newId();
    String secret = KeySecrets.newSecret();
    access.keys(KeyRing.EMPTY.with(new ApiKey(id, "bench", KeySecrets.hash(secret),
        new Limits(2_000_000_000L, 2_000_000_000L, 100_000, List.of("bench")),
        new ApiKey.Validity(System.currentTimeMillis() / 1000, 0, 0))));
    header = "Bearer " + KeySecrets.format(id, secret);
  }

  /** Prints the CPU time per request of {@link #oneRequestUnderAKeyWithLimits}, five rounds after a warm-up. */
  public static void main(String[] args) {
    AuthPathBenchmark b = new AuthPathBenchmark();
    b.setUp();
    Blackhole bh = new Blackhole("Today's password is swordfish. I understand instantiating Blackholes directly is"
        + " dangerous.");
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    for (int round = -3; round < 5; round++) {
      int n = 500_000;
      long start = mx.getCurrentThreadCpuTime();
      for (int i = 0; i < n; i++) {
        b.oneRequestUnderAKeyWithLimits(bh);
      }
      if (round >= 0) {
        System.out.printf("RESULT auth_path_cpu_ns_per_request=%d%n", (mx.getCurrentThreadCpuTime() - start) / n);
      }
    }
  }

  @Benchmark
  public void oneRequestUnderAKeyWithLimits(Blackhole bh) {
    Caller c = access.identify(header, "127.0.0.1");
    bh.consume(access.clientMayCall("llm", "/v1/chat/completions"));
    Exchange ex = access.exchange(c);
    bh.consume(ex.admit("bench"));
    bh.consume(StreamOptions.ensureUsage(REQUEST));
    bh.consume(ex.rateHeaders());
    ex.finish(200, TokenUsage.find(ANSWER, 0, ANSWER.length), false);
  }
}
