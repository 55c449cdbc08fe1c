package org.opentela.table;

import java.io.IOException;
import java.util.Arrays;
import org.opentela.CborSerializable;
import org.opentela.Json;

/**
 * A node's table record as replicated: the record's JSON bytes, its owner's signature over exactly those
 * bytes, and, in a closed pool, the owner's certificate (DER), which ties the signing key to the peer id.
 * Readers check the signature before they decode (see {@link RecordSeal}), so bytes are signed, not a
 * re-encoding of them.
 */
public record SignedRecord(byte[] record, byte[] signature, byte[] certificate) implements CborSerializable {

  public SignedRecord {
    certificate = certificate == null ? new byte[0] : certificate;
  }

  public static byte[] encode(NodeRecord r) {
    try {
      return Json.MAPPER.writeValueAsBytes(r);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode the record of " + r.id(), e);
    }
  }

  /** The record the bytes hold; call only once the signature is checked. */
  public NodeRecord decode() throws IOException {
    return Json.MAPPER.readValue(record, NodeRecord.class);
  }

  /** Same bytes, same signature: the same replicated value. */
  public boolean sameAs(SignedRecord other) {
    return other != null && Arrays.equals(record, other.record) && Arrays.equals(signature, other.signature)
        && Arrays.equals(certificate, other.certificate);
  }
}
