package org.opentela.routing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Function;
import org.opentela.table.NodeRecord;
import org.opentela.table.NodeTable;
import org.opentela.table.ServiceRecord;

/**
 * The routable providers of a {@link NodeTable}, indexed for matching: per service, the providers of each
 * exact {@code key=value} group, of each {@code key=*} wildcard, and of the catch-all {@code all}.
 * Immutable; rebuilt whole when the table changes, so a lookup is a few hash probes.
 *
 * <p>Matching follows the original: an exact group matches a top-level string field equal to its value;
 * a wildcard matches if the field is present; {@code all} matches anything. The exact tier is used; the
 * wildcard tier only if it is empty and fallback ≥ 1; the catch-all only if both are and fallback ≥ 2.
 * Malformed groups are ignored; a provider with no groups never matches.
 */
public final class ProviderIndex {
  public static final String MODEL_KEY = "model";
  public static final ProviderIndex EMPTY = new ProviderIndex(Map.of(), Map.of());

  /** The providers of one service. */
  public static final class ServiceProviders {
    private final List<Provider> all = new ArrayList<>();
    private final Map<String, Map<String, List<Provider>>> exact = new HashMap<>();
    private final Map<String, List<Provider>> wildcard = new HashMap<>();
    private final List<Provider> catchAll = new ArrayList<>();
    private final SortedSet<String> models = new TreeSet<>();

    public List<Provider> all() {
      return Collections.unmodifiableList(all);
    }

    /** Model ids served (values of {@code model=} groups), sorted. */
    public SortedSet<String> models() {
      return Collections.unmodifiableSortedSet(models);
    }

    /**
     * The providers with the exact group {@code key=value}; empty if none. The same list object for the
     * life of this index, so that a policy may cache what it derives from it ({@link CacheAware}).
     */
    public List<Provider> exact(String key, String value) {
      Map<String, List<Provider>> byValue = exact.get(key);
      List<Provider> ps = byValue == null ? null : byValue.get(value);
      return ps == null ? List.of() : ps;
    }

    /** Built: the lists become read-only views, handed out as they are. */
    private void freeze() {
      exact.values().forEach(byValue -> byValue.replaceAll((v, ps) -> Collections.unmodifiableList(ps)));
    }

    /** The providers of the best non-empty tier allowed by {@code fallback} (0, 1 or 2); empty if none. */
    public List<Provider> candidates(MatchFields fields, int fallback) {
      List<Provider> found = union(fields.strings().entrySet(), e -> exact(e.getKey(), e.getValue()));
      if (found.isEmpty() && fallback >= 1) {
        found = union(fields.present(), wildcard::get);
      }
      if (found.isEmpty() && fallback >= 2) {
        found = catchAll;
      }
      return found;
    }

    private static <K> List<Provider> union(Collection<K> keys, Function<K, List<Provider>> lookup) {
      List<Provider> single = null;
      Set<Provider> merged = null;
      for (K k : keys) {
        List<Provider> ps = lookup.apply(k);
        if (ps == null || ps.isEmpty()) {
          continue;
        }
        if (single == null) {
          single = ps;
        } else {
          if (merged == null) {
            merged = new LinkedHashSet<>(single);
          }
          merged.addAll(ps);
        }
      }
      return merged != null ? List.copyOf(merged) : single != null ? single : List.of();
    }

    private void add(Provider p, List<String> groups) {
      all.add(p);
      Set<String> seen = new java.util.HashSet<>();
      for (String g : groups) {
        String group = g.trim();
        if (!seen.add(group)) {
          continue;
        }
        if (group.equals("all")) {
          catchAll.add(p);
          continue;
        }
        int eq = group.indexOf('=');
        if (eq <= 0 || eq == group.length() - 1) {
          continue;
        }
        String key = group.substring(0, eq);
        String value = group.substring(eq + 1);
        if (value.equals("*")) {
          wildcard.computeIfAbsent(key, k -> new ArrayList<>()).add(p);
        } else {
          exact.computeIfAbsent(key, k -> new HashMap<>()).computeIfAbsent(value, v -> new ArrayList<>()).add(p);
          if (key.equals(MODEL_KEY)) {
            models.add(value);
          }
        }
      }
    }
  }

  private final Map<String, ServiceProviders> byService;
  private final Map<String, Provider> byPeer;

  private ProviderIndex(Map<String, ServiceProviders> byService, Map<String, Provider> byPeer) {
    this.byService = byService;
    this.byPeer = byPeer;
  }

  /**
   * Indexes the connected nodes of {@code table} that are not draining, and their routable services.
   * {@code toProvider} gives the provider for a node (its proxy reference and load).
   */
  public static ProviderIndex build(NodeTable table, Function<NodeRecord, Provider> toProvider) {
    Map<String, ServiceProviders> byService = new HashMap<>();
    Map<String, Provider> byPeer = new HashMap<>();
    for (NodeRecord r : table.records().values()) {
      if (!table.isConnected(r.id())) {
        continue;
      }
      Provider p = toProvider.apply(r);
      byPeer.put(r.id(), p);
      if (!r.status().isEmpty()) {
        continue; // draining or leaving: reachable for pinned requests only
      }
      for (ServiceRecord s : r.service()) {
        if (s.routable()) {
          byService.computeIfAbsent(s.name(), n -> new ServiceProviders()).add(p, s.identityGroup());
        }
      }
    }
    byService.values().forEach(ServiceProviders::freeze);
    return new ProviderIndex(byService, byPeer);
  }

  /** The providers of {@code service}, or null if no connected node offers it. */
  public ServiceProviders service(String service) {
    return byService.get(service);
  }

  /** Names of the services some connected node offers, sorted. */
  public SortedSet<String> services() {
    return new TreeSet<>(byService.keySet());
  }

  /** The connected node with this peer id, or null. */
  public Provider peer(String peerId) {
    return byPeer.get(peerId);
  }
}
