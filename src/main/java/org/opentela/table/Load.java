package org.opentela.table;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import org.opentela.CborSerializable;

/**
 * A backend's load as its Prometheus gauges report it (vLLM's, llama.cpp's or SGLang's, mapped to these
 * fields by {@code subprocess/PrometheusGauges}).
 * {@code kvCacheUsage} is a fraction 0..1; {@code sampledAt} is unix milliseconds: when these gauges were
 * first sampled (a sample with the same gauges is not written to the table again).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Load(double running, double waiting, double kvCacheUsage, long sampledAt) implements CborSerializable {

  /** The same gauges as {@code other} (the sampling time aside); false if {@code other} is null. */
  public boolean sameGauges(Load other) {
    return other != null && running == other.running && waiting == other.waiting
        && kvCacheUsage == other.kvCacheUsage;
  }

  /** One number for comparing providers: queued work counts most, then running, then cache pressure. */
  public double score() {
    return waiting * 2 + running + kvCacheUsage;
  }
}
