package org.opentela.http;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.opentela.ApiError;

/**
 * The open connections of one {@link HttpServer}: counted in total and per client address, so that a new
 * one over {@code --http.max_connections} or {@code --http.max_connections_per_address} is refused at once,
 * and listed, so that a shutdown can close them. An IPv6 client counts by its /64 prefix (one host owns a
 * whole /64). Accepting happens on one stream, closing on many: the counts are guarded by this object's lock,
 * held for a few map operations only.
 */
final class Connections {
  private final int max;
  private final int maxPerAddress;
  private final Map<Object, Integer> perAddress = new HashMap<>();
  private final Set<Handle> open = new HashSet<>();
  private int total;

  Connections(int max, int maxPerAddress) {
    this.max = max;
    this.maxPerAddress = maxPerAddress;
  }

  /** One open connection; its guard attaches the callback that closes it when the server shuts down. */
  final class Handle {
    private final Object address;
    private AsyncCallback<NotUsed> shutdown;
    private boolean shutdownRequested;
    private boolean closed;
    private final Runnable onHeaderTimeout;

    private Handle(Object address, Runnable onHeaderTimeout) {
      this.address = address;
      this.onHeaderTimeout = onHeaderTimeout;
    }

    void attach(AsyncCallback<NotUsed> callback) {
      boolean now;
      synchronized (Connections.this) {
        shutdown = callback;
        now = shutdownRequested;
      }
      if (now) {
        callback.invoke(NotUsed.getInstance());
      }
    }

    /** The connection ended: it no longer counts. Idempotent. */
    void detach() {
      synchronized (Connections.this) {
        if (closed) {
          return;
        }
        closed = true;
        open.remove(this);
        total--;
        perAddress.computeIfPresent(address, (k, n) -> n <= 1 ? null : n - 1);
      }
    }

    void headerTimedOut() {
      onHeaderTimeout.run();
    }

    private void requestShutdown() {
      AsyncCallback<NotUsed> cb;
      synchronized (Connections.this) {
        shutdownRequested = true;
        cb = shutdown;
      }
      if (cb != null) {
        cb.invoke(NotUsed.getInstance());
      }
    }
  }

  /** A connection from {@code client} that may open: its handle, or the problem it is refused with. */
  sealed interface Admission {}

  record Admitted(Handle handle) implements Admission {}

  record Refused(ApiError.Problem problem) implements Admission {}

  synchronized Admission open(InetAddress client, Runnable onHeaderTimeout) {
    if (total >= max) {
      return new Refused(ApiError.TOO_MANY_CONNECTIONS.with(total));
    }
    Object key = key(client);
    int fromAddress = perAddress.getOrDefault(key, 0);
    if (maxPerAddress > 0 && fromAddress >= maxPerAddress) {
      return new Refused(ApiError.TOO_MANY_CONNECTIONS_FROM_ADDRESS.with(fromAddress));
    }
    perAddress.put(key, fromAddress + 1);
    total++;
    Handle h = new Handle(key, onHeaderTimeout);
    open.add(h);
    return new Admitted(h);
  }

  synchronized int total() {
    return total;
  }

  /** Asks every open connection to close once its response in flight is sent. */
  void shutdown() {
    List<Handle> all;
    synchronized (this) {
      all = List.copyOf(open);
    }
    all.forEach(Handle::requestShutdown);
  }

  /** An IPv4 address as it is; an IPv6 address by its first 64 bits. */
  static Object key(InetAddress a) {
    if (a instanceof Inet6Address) {
      return "v6:" + HexFormat.of().formatHex(a.getAddress(), 0, 8);
    }
    return a;
  }
}
