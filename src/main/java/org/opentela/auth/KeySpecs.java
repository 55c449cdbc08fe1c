package org.opentela.auth;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the body of {@code POST /v1/admin/keys} into a {@link KeyKeeper.KeySpec}:
 * {@code {"name":"alice","rpm":600,"tpm":200000,"max_parallel":8,"models":["m1"],"expires":"30d"}}; every
 * field but {@code name} may be left out (unlimited, any model, never expires). A mistake is an
 * {@link IllegalArgumentException} whose message names the field and what was expected.
 */
public final class KeySpecs {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
  private static final Pattern RELATIVE = Pattern.compile("(\\d{1,6})([smhd])");
  private static final Set<String> FIELDS = Set.of("name", "rpm", "tpm", "max_parallel", "models", "expires");
  private static final int MAX_MODELS = 256;

  private KeySpecs() {}

  public static KeyKeeper.KeySpec parse(JsonNode body, long nowSeconds) {
    if (body == null || !body.isObject()) {
      throw new IllegalArgumentException("the body (expected: a JSON object, e.g. {\"name\":\"alice\",\"rpm\":600})");
    }
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new IllegalArgumentException("unknown field '" + f + "' (expected: " + String.join(", ",
            List.of("name", "rpm", "tpm", "max_parallel", "models", "expires")) + ")");
      }
    }
    JsonNode name = body.get("name");
    if (name == null || !name.isTextual() || !NAME.matcher(name.asText()).matches()) {
      throw new IllegalArgumentException("name: " + name + " (expected: 1 to 64 letters, digits, '.', '_', '@' or"
          + " '-', starting with a letter or digit, e.g. alice)");
    }
    long rpm = count(body, "rpm", Long.MAX_VALUE / 2);
    long tpm = count(body, "tpm", Long.MAX_VALUE / 2);
    int parallel = (int) count(body, "max_parallel", 1_000_000);
    List<String> models = new ArrayList<>();
    JsonNode m = body.get("models");
    if (m != null && !m.isNull()) {
      if (!m.isArray() || m.size() > MAX_MODELS) {
        throw new IllegalArgumentException("models: expected a list of at most " + MAX_MODELS + " model names");
      }
      for (JsonNode e : m) {
        if (!e.isTextual() || e.asText().isBlank() || e.asText().length() > 200) {
          throw new IllegalArgumentException("models: " + e + " (expected: model names, e.g. [\"Qwen/Qwen3-8B\"])");
        }
        models.add(e.asText());
      }
    }
    JsonNode expires = body.get("expires");
    long expiresAt = expires == null || expires.isNull() ? 0 : expiresAt(expires.asText(), nowSeconds);
    return new KeyKeeper.KeySpec(name.asText(), new Limits(rpm, tpm, parallel, models), expiresAt);
  }

  private static long count(JsonNode body, String field, long max) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return 0;
    }
    if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 0 || v.asLong() > max) {
      throw new IllegalArgumentException(field + ": " + v + " (expected: a whole number >= 0; 0 = unlimited)");
    }
    return v.asLong();
  }

  /**
   * When a key given {@code expires} expires, in epoch seconds: {@code 30d}, {@code 12h}, {@code 90m},
   * {@code 3600s} from now, or a UTC day {@code 2027-01-31} (its start); {@code never} or "" for never.
   */
  public static long expiresAt(String expires, long nowSeconds) {
    String v = expires.trim();
    if (v.isEmpty() || v.equals("never")) {
      return 0;
    }
    Matcher m = RELATIVE.matcher(v);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      Duration d = switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
      if (d.isZero()) {
        throw new IllegalArgumentException("expires: " + v + " (expected: a time after now)");
      }
      return nowSeconds + d.toSeconds();
    }
    try {
      long at = LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
      if (at <= nowSeconds) {
        throw new IllegalArgumentException("expires: " + v + " is in the past (expected: a later day)");
      }
      return at;
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("expires: '" + v + "' (expected: 30d, 12h, 90m, 3600s, a UTC day such as"
          + " 2027-01-31, or never)");
    }
  }
}
