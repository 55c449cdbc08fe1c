package org.opentela.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.Address;

/**
 * The seed-node list a head joins with. Pekko lets only the first seed form a new cluster alone, so every
 * head of a pool must agree on who that is: the head with the lowest peer id. The others try it and the
 * other heads first, then the members this head remembers from its durable table (after a restart, they
 * are the running pool to rejoin); the lowest head lists itself first, so it forms the pool when nobody
 * else answers.
 */
public final class SeedNodes {
  private SeedNodes() {}

  /** A peer known by address and peer id. */
  public record Peer(String peerId, Address address) {}

  /** True if this head may form the pool alone: no other head given has a lower peer id. */
  public static boolean formsPool(String selfId, List<Peer> heads) {
    for (Peer h : heads) {
      if (h.peerId().compareTo(selfId) < 0) {
        return false;
      }
    }
    return true;
  }

  /** Seeds for a head: see the class comment. {@code remembered} are addresses from the durable table. */
  public static List<Address> forHead(String selfId, Address self, List<Peer> heads, List<Address> remembered) {
    List<Peer> sorted = new ArrayList<>(heads);
    sorted.sort(Comparator.comparing(Peer::peerId));
    Set<Address> seeds = new LinkedHashSet<>();
    boolean first = formsPool(selfId, heads);
    if (first) {
      seeds.add(self);
    }
    sorted.forEach(h -> seeds.add(h.address()));
    seeds.addAll(remembered);
    seeds.remove(self);
    List<Address> out = new ArrayList<>();
    if (first) {
      out.add(self);
    }
    out.addAll(seeds);
    return out;
  }
}
