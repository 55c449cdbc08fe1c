package org.opentela.status;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.opentela.http.PoolView;
import org.opentela.platform.Gpu;
import org.opentela.table.Load;

/** Renders a {@link PoolView} as plain-text tables, columns padded to their widest cell. */
public final class StatusTables {
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

  private StatusTables() {}

  /** The summary line, then the NODES, MODELS and WORKERS tables. */
  public static String render(PoolView pool, String head) {
    long up = pool.nodes().stream().filter(n -> n.status().equals(PoolView.UP)).count();
    long current = pool.nodes().stream().filter(n -> n.goneAt() == null).count();
    StringBuilder sb = new StringBuilder();
    sb.append("Pool as ").append(head).append(" (").append(pool.self()).append(", otela ").append(pool.version())
        .append(") sees it at ").append(CLOCK.format(Instant.ofEpochMilli(pool.time()))).append(": ")
        .append(current).append(current == 1 ? " node, " : " nodes, ").append(up).append(" up; ")
        .append(pool.models().size()).append(pool.models().size() == 1 ? " model" : " models").append("\n\n");
    sb.append(nodes(pool)).append('\n').append(models(pool));
    String workers = workers(pool);
    if (!workers.isEmpty()) {
      sb.append('\n').append(workers);
    }
    return sb.toString();
  }

  static String nodes(PoolView pool) {
    Table t = new Table("NODE", "ROLE", "STATUS", "ADDRESS", "VERSION", "GPUS", "MEMORY", "SERVICES", "IN-FLIGHT",
        "LAST SEEN");
    long nowSeconds = pool.time() / 1000;
    for (PoolView.NodeRow n : pool.nodes()) {
      List<String> services = new ArrayList<>();
      n.services().forEach(s -> services.add(s.name() + (s.status().equals("connected") ? "" : " (" + s.status() + ")")));
      String status = n.status() + (n.goneAt() != null ? " (gone " + ago(nowSeconds - n.goneAt() / 1000) + ")" : "");
      t.row(n.id() + (n.self() ? " *" : ""), String.join(",", n.role()), status,
          n.address() == null || n.address().isEmpty() ? "-" : n.address() + (n.apiPort() > 0 ? ":" + n.apiPort() : ""), blank(n.version()), gpus(n.gpus()),
          memory(n.memoryUsed(), n.memoryTotal()), services.isEmpty() ? "-" : String.join(",", services),
          Integer.toString(n.inFlight()), n.lastSeen() > 0 ? ago(nowSeconds - n.lastSeen()) : "-");
    }
    return t.render();
  }

  static String models(PoolView pool) {
    Table t = new Table("SERVICE", "MODEL", "WORKERS", "REQ/S", "5XX/S", "TTFB P50", "TTFB P99");
    for (PoolView.ModelRow m : pool.models()) {
      long up = m.providers().stream().filter(p -> p.status().equals(PoolView.UP)).count();
      PoolView.Traffic tr = m.traffic();
      t.row(m.service(), m.model() == null ? "-" : m.model(), up + "/" + m.providers().size() + " up",
          number(tr.requestsPerSecond()), number(tr.errorsPerSecond()), millis(tr.ttfbP50()), millis(tr.ttfbP99()));
    }
    return t.render();
  }

  static String workers(PoolView pool) {
    Table t = new Table("MODEL", "WORKER", "STATUS", "RUNNING", "WAITING", "KV-CACHE", "IN-FLIGHT");
    for (PoolView.ModelRow m : pool.models()) {
      for (PoolView.ProviderRow p : m.providers()) {
        Load l = p.load();
        t.row(m.model() == null ? m.service() : m.model(), p.id(), p.status(), l == null ? "-" : whole(l.running()),
            l == null ? "-" : whole(l.waiting()), l == null ? "-" : Math.round(l.kvCacheUsage() * 100) + "%",
            Integer.toString(p.inFlight()));
      }
    }
    return t.isEmpty() ? "" : t.render();
  }

  private static String gpus(List<Gpu> gpus) {
    if (gpus == null || gpus.isEmpty()) {
      return "-";
    }
    long used = 0;
    long total = 0;
    for (Gpu g : gpus) {
      used += g.usedMemory();
      total += g.totalMemory();
    }
    String name = gpus.get(0).name().replaceFirst("^NVIDIA ", "");
    return gpus.size() + "x " + name + " " + gib(used) + "/" + gib(total) + " GiB";
  }

  private static String memory(long usedMib, long totalMib) {
    return totalMib <= 0 ? "-" : gib(usedMib) + "/" + gib(totalMib) + " GiB";
  }

  private static String gib(long mib) {
    return String.format(Locale.ROOT, "%.1f", mib / 1024.0);
  }

  private static String blank(String s) {
    return s == null || s.isEmpty() ? "-" : s;
  }

  private static String whole(double d) {
    return Long.toString(Math.round(d));
  }

  private static String number(Double d) {
    if (d == null) {
      return "-";
    }
    return d >= 100 ? Long.toString(Math.round(d)) : String.format(Locale.ROOT, "%.1f", d);
  }

  private static String millis(Double seconds) {
    if (seconds == null) {
      return "-";
    }
    double ms = seconds * 1000;
    return ms >= 10_000 ? String.format(Locale.ROOT, "%.1fs", seconds)
        : ms >= 10 ? Math.round(ms) + "ms" : String.format(Locale.ROOT, "%.1fms", ms);
  }

  /** "12s", "5m", "3h", "2d". */
  static String ago(long seconds) {
    long s = Math.max(0, seconds);
    return s < 120 ? s + "s" : s < 7200 ? s / 60 + "m" : s < 172_800 ? s / 3600 + "h" : s / 86_400 + "d";
  }

  /** Columns separated by three spaces, each as wide as its widest cell. */
  static final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    Table(String... header) {
      columns = header.length;
      rows.add(header);
    }

    void row(String... cells) {
      if (cells.length != columns) {
        throw new IllegalArgumentException(cells.length + " cells (expected: " + columns + ")");
      }
      rows.add(cells);
    }

    boolean isEmpty() {
      return rows.size() == 1;
    }

    String render() {
      int[] width = new int[columns];
      for (String[] r : rows) {
        for (int i = 0; i < columns; i++) {
          width[i] = Math.max(width[i], r[i].length());
        }
      }
      StringBuilder sb = new StringBuilder();
      for (String[] r : rows) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < columns; i++) {
          line.append(r[i]);
          if (i < columns - 1) {
            line.append(" ".repeat(width[i] - r[i].length() + 3));
          }
        }
        sb.append(line.toString().stripTrailing()).append('\n');
      }
      return sb.toString();
    }
  }
}
