package org.opentela.platform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.opentela.platform.Gpu;
import org.opentela.platform.Hardware;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads this machine's hardware: GPUs from {@code nvidia-smi}, memory from {@code /proc/meminfo}
 * (MiB). Blocking (it runs a process): call it off the actor threads. Without nvidia-smi the GPU list is
 * empty, and that is said once at INFO.
 */
public final class HardwareProbe implements Supplier<Hardware> {
  private static final Logger log = LoggerFactory.getLogger(HardwareProbe.class);
  static final String[] NVIDIA_SMI = {
      "nvidia-smi", "--query-gpu=name,memory.total,memory.used", "--format=csv,noheader,nounits"};

  private static final long RECHECK_MISSING_NANOS = TimeUnit.MINUTES.toNanos(5);

  private final Path meminfo;
  private volatile boolean reportedMissing;
  private volatile long missingSince;

  public HardwareProbe() {
    this(Path.of("/proc/meminfo"));
  }

  HardwareProbe(Path meminfo) {
    this.meminfo = meminfo;
  }

  @Override
  public Hardware get() {
    long[] mem = readMeminfo();
    return new Hardware(gpus(), mem[0], 0, mem[0] - mem[1]);
  }

  private List<Gpu> gpus() {
    // Each attempt forks (a large JVM's fork is not free): without nvidia-smi, look again only now and then
    // (a driver installed later is still found).
    if (missingSince != 0 && System.nanoTime() - missingSince < RECHECK_MISSING_NANOS) {
      return List.of();
    }
    Process p;
    try {
      p = new ProcessBuilder(NVIDIA_SMI).redirectErrorStream(true).start();
      missingSince = 0;
    } catch (IOException e) {
      missingSince = System.nanoTime();
      if (!reportedMissing) {
        reportedMissing = true;
        log.info("nvidia-smi not found in PATH: GPU info will be unavailable (expected if no NVIDIA GPU is present)");
      }
      return List.of();
    }
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        log.warn("nvidia-smi did not answer within 10 s; reporting no GPUs this time");
        return List.of();
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        if (!reportedMissing) {
          reportedMissing = true;
          log.info("nvidia-smi exited with {}: GPU info will be unavailable ({})", p.exitValue(), out.strip());
        }
        return List.of();
      }
      return parseNvidiaSmi(out);
    } catch (IOException e) {
      log.warn("Reading nvidia-smi output failed", e);
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }

  /** Parses {@code name, total, used} CSV lines (MiB); malformed lines are skipped. */
  public static List<Gpu> parseNvidiaSmi(String csv) {
    List<Gpu> gpus = new ArrayList<>();
    for (String line : csv.split("\\R")) {
      String[] f = line.split(",");
      if (f.length < 3) {
        continue;
      }
      try {
        gpus.add(new Gpu(f[0].trim(), Long.parseLong(f[1].trim()), Long.parseLong(f[2].trim())));
      } catch (NumberFormatException e) {
        // e.g. "[N/A]" on some virtual GPUs: not a usable row
      }
    }
    return gpus;
  }

  /** {total, available} in MiB; zeros if /proc/meminfo cannot be read (not Linux). */
  private long[] readMeminfo() {
    long total = 0;
    long available = 0;
    try {
      for (String line : Files.readAllLines(meminfo, StandardCharsets.US_ASCII)) {
        if (line.startsWith("MemTotal:")) {
          total = kib(line) / 1024;
        } else if (line.startsWith("MemAvailable:")) {
          available = kib(line) / 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
    return new long[] {total, available};
  }

  private static long kib(String line) {
    String[] parts = line.trim().split("\\s+");
    return Long.parseLong(parts[1]);
  }
}
