package org.opentela.trust;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import org.opentela.config.ConfigReader;
import org.opentela.config.UsageException;

/**
 * {@code otela token show|rotate} and {@code otela nodes revoke PEER_ID}, run on the machine of the head
 * that holds the pool CA, with the same {@code --datadir}. They edit the pool directory; the running head
 * picks the change up within a second (the token at the next enrolment, a revocation by its poll).
 */
public final class PoolCommands {
  private PoolCommands() {}

  public static int token(Config config, List<String> args, PrintStream out) {
    PoolDir pool = pool(config);
    String sub = args.size() == 1 ? args.get(0) : "";
    try {
      switch (sub) {
        case "show" -> out.println(pool.token());
        case "rotate" -> {
          JoinToken t = pool.rotate(PoolCa.load(pool.dir()));
          out.println(t);
          System.err.println("otela: the join token was rotated: new nodes need the token above; nodes already in the"
              + " pool keep working (they renew with their certificates, not the token).");
        }
        default -> throw new UsageException("expected 'otela token show' or 'otela token rotate' (got: "
            + String.join(" ", args) + ")");
      }
      return 0;
    } catch (IOException e) {
      System.err.println("otela token: " + e.getMessage());
      return 1;
    }
  }

  public static int nodes(Config config, List<String> args, PrintStream out) {
    if (args.size() != 2 || !args.get(0).equals("revoke")) {
      throw new UsageException("expected 'otela nodes revoke PEER_ID' (got: " + String.join(" ", args) + ")");
    }
    PoolDir pool = pool(config);
    String peerId = args.get(1);
    try {
      if (!pool.exists()) {
        throw new IOException("no pool CA in " + pool.dir() + ": run this on the machine of the head started with"
            + " --pool.secure, with the same --datadir");
      }
      boolean added = pool.revoke(peerId);
      out.println(added ? "Revoked " + peerId + ": the head removes it from the pool within seconds, every node"
          + " refuses its connections, and it cannot enrol again with this peer id."
          : peerId + " was already revoked.");
      return 0;
    } catch (IllegalArgumentException e) {
      throw new UsageException("nodes revoke: " + e.getMessage());
    } catch (IOException e) {
      System.err.println("otela nodes: " + e.getMessage());
      return 1;
    }
  }

  private static PoolDir pool(Config config) {
    ConfigReader r = new ConfigReader(config);
    return PoolDir.of(r.path("otela.datadir"), r.string("otela.pool.token-file"));
  }
}
