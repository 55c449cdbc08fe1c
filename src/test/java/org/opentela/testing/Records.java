package org.opentela.testing;

import java.util.List;
import org.opentela.table.NodeRecord;
import org.opentela.table.ServiceRecord;

/** Table records for tests, with every field a test does not care about filled in. */
public final class Records {
  private Records() {}

  /** A worker's row, as a member at {@code addr-<id>}, to finish with the fields the test is about. */
  public static NodeRecord.Builder worker(String id) {
    return NodeRecord.builder(id).role(List.of("worker")).clusterAddress("addr-" + id).clusterUid(1);
  }

  /** A connected {@code llm} service on localhost:8080 with these identity groups. */
  public static ServiceRecord.Builder llm(String... groups) {
    return ServiceRecord.builder("llm").port(8080).identityGroup(groups);
  }
}
