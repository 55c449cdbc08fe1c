package org.opentela.auth;

import java.util.List;
import org.opentela.CborSerializable;

/**
 * The limits of one API key; 0 (or an empty list) means unlimited.
 *
 * @param rpm         requests per minute (any 60 s)
 * @param tpm         prompt plus completion tokens per minute, as the responses' {@code usage} reports them
 * @param maxParallel requests in flight at once (a stream counts until it ends)
 * @param models      the models the key may name; empty: any
 */
public record Limits(long rpm, long tpm, int maxParallel, List<String> models) implements CborSerializable {
  public static final Limits NONE = new Limits(0, 0, 0, List.of());

  public Limits {
    models = models == null ? List.of() : List.copyOf(models);
    if (rpm < 0 || tpm < 0 || maxParallel < 0) {
      throw new IllegalArgumentException("rpm: " + rpm + ", tpm: " + tpm + ", maxParallel: " + maxParallel
          + " (expected: >= 0, 0 = unlimited)");
    }
  }

  /** Whether the key may name {@code model}; a request that names none is allowed only for a key without a model list. */
  public boolean allows(String model) {
    return models.isEmpty() || (model != null && models.contains(model));
  }

  boolean limitsRate() {
    return rpm > 0 || tpm > 0 || maxParallel > 0;
  }
}
