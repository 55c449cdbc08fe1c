package org.opentela.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.opentela.Json;
import org.opentela.config.ConfigReader;
import org.opentela.config.UsageException;

/**
 * {@code otela keys create|list|revoke|usage}: calls a head's admin API ({@code /v1/admin/keys},
 * {@code /v1/admin/usage}) with the admin key. {@code create} prints the new key alone on stdout, so that
 * a script can capture it; everything else a person reads goes to stderr (create) or stdout (list, usage).
 * Exit codes: 0 done, 1 the head refused or did not answer, 2 bad command line.
 */
public final class KeysCommand {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final String head;
  private final String adminKey;
  private final PrintStream out;
  private final PrintStream err;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private KeysCommand(String head, String adminKey, PrintStream out, PrintStream err) {
    this.head = head.endsWith("/") ? head.substring(0, head.length() - 1) : head;
    this.adminKey = adminKey;
    this.out = out;
    this.err = err;
  }

  /** Runs {@code action} ({@code args}: what follows it on the command line before the flags). */
  public static int run(String action, List<String> args, Config config, Map<String, String> env, PrintStream out,
      PrintStream err) {
    ConfigReader r = new ConfigReader(config);
    String key = AuthSettings.adminKeyOf(r.string("otela.keys.admin_key_file"), env);
    if (key.isEmpty()) {
      throw new UsageException("keys: no admin key (expected: the pool's admin key in the environment variable "
          + AuthSettings.ENV + ", or --admin_key_file FILE)");
    }
    String head = r.string("otela.keys.head");
    if (!head.startsWith("http://") && !head.startsWith("https://")) {
      throw UsageException.badValue("otela.keys.head", head, "a URL such as http://127.0.0.1:8092");
    }
    KeysCommand c = new KeysCommand(head, key, out, err);
    String target = args.isEmpty() ? null : args.get(0);
    if (args.size() > 1) {
      throw new UsageException("keys " + action + ": unexpected argument '" + args.get(1) + "'");
    }
    try {
      return switch (action) {
        case "create" -> c.create(r, target);
        case "list" -> c.list();
        case "revoke" -> c.revoke(target != null ? target : r.string("otela.keys.name"));
        case "usage" -> c.usage(r, target != null ? target : r.string("otela.keys.name"));
        default -> throw new UsageException("keys: unknown action '" + action
            + "' (expected: create, list, revoke or usage; see: otela keys --help)");
      };
    } catch (IOException e) {
      err.println("otela keys: the head at " + head + " did not answer (" + e + "); is it running, and is --head"
          + " its HTTP API?");
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  private int create(ConfigReader r, String positionalName) throws IOException, InterruptedException {
    String name = positionalName != null ? positionalName : r.string("otela.keys.name");
    if (name.isEmpty()) {
      throw new UsageException("keys create: --name missing (expected: the key's name, e.g. --name alice)");
    }
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("name", name);
    body.put("rpm", r.intInRange("otela.keys.rpm", 0, Integer.MAX_VALUE));
    body.put("tpm", r.intInRange("otela.keys.tpm", 0, Integer.MAX_VALUE));
    body.put("max_parallel", r.intInRange("otela.keys.max-parallel", 0, 1_000_000));
    body.putPOJO("models", r.list("otela.keys.models"));
    body.put("expires", r.string("otela.keys.expires"));
    HttpResponse<String> rsp = send(HttpRequest.newBuilder(uri("/v1/admin/keys"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(body))));
    if (rsp.statusCode() != 201) {
      return refused(rsp);
    }
    JsonNode created = Json.MAPPER.readTree(rsp.body());
    out.println(created.path("key").asText());
    err.println("Created API key '" + created.path("name").asText() + "' (id " + created.path("id").asText() + "; "
        + limits(created.path("limits")) + expires(created.path("expires_at")) + "). The key is shown only now:"
        + " the pool keeps its hash.");
    return 0;
  }

  private int list() throws IOException, InterruptedException {
    HttpResponse<String> rsp = send(HttpRequest.newBuilder(uri("/v1/admin/keys")).GET());
    if (rsp.statusCode() != 200) {
      return refused(rsp);
    }
    out.printf("%-8s  %-20s  %-7s  %s%n", "ID", "NAME", "STATUS", "LIMITS");
    for (JsonNode k : Json.MAPPER.readTree(rsp.body()).path("data")) {
      out.printf("%-8s  %-20s  %-7s  %s%s%n", k.path("id").asText(), k.path("name").asText(),
          k.path("status").asText(), limits(k.path("limits")), expires(k.path("expires_at")));
    }
    return 0;
  }

  private int revoke(String idOrName) throws IOException, InterruptedException {
    if (idOrName == null || idOrName.isEmpty()) {
      throw new UsageException("keys revoke: which key? (expected: otela keys revoke NAME, or its id)");
    }
    HttpResponse<String> rsp = send(HttpRequest.newBuilder(uri("/v1/admin/keys/" + encode(idOrName))).DELETE());
    if (rsp.statusCode() != 200) {
      return refused(rsp);
    }
    JsonNode k = Json.MAPPER.readTree(rsp.body());
    out.println("Revoked API key '" + k.path("name").asText() + "' (id " + k.path("id").asText() + ")");
    return 0;
  }

  private int usage(ConfigReader r, String key) throws IOException, InterruptedException {
    StringBuilder q = new StringBuilder();
    append(q, "from", r.string("otela.keys.from"));
    append(q, "to", r.string("otela.keys.to"));
    append(q, "key", key);
    HttpResponse<String> rsp = send(HttpRequest.newBuilder(uri("/v1/admin/usage" + q)).GET());
    if (rsp.statusCode() != 200) {
      return refused(rsp);
    }
    out.printf("%-10s  %-20s  %-30s  %9s  %12s  %12s  %7s%n", "DAY", "KEY", "MODEL", "REQUESTS", "PROMPT", "COMPLETION",
        "ERRORS");
    for (JsonNode u : Json.MAPPER.readTree(rsp.body()).path("data")) {
      out.printf("%-10s  %-20s  %-30s  %9d  %12d  %12d  %7d%n", u.path("day").asText(), u.path("key").asText(),
          u.path("model").asText(), u.path("requests").asLong(), u.path("prompt_tokens").asLong(),
          u.path("completion_tokens").asLong(), u.path("errors").asLong());
    }
    return 0;
  }

  private static void append(StringBuilder q, String name, String value) {
    if (value != null && !value.isEmpty()) {
      q.append(q.length() == 0 ? "?" : "&").append(name).append('=').append(encode(value));
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private URI uri(String path) {
    return URI.create(head + path);
  }

  private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
    return client.send(b.timeout(TIMEOUT).header("Authorization", "Bearer " + adminKey).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private int refused(HttpResponse<String> rsp) {
    String message;
    try {
      message = Json.MAPPER.readTree(rsp.body()).path("error").path("message").asText(rsp.body());
    } catch (IOException e) {
      message = rsp.body();
    }
    err.println("otela keys: the head answered " + rsp.statusCode() + ": " + message);
    return 1;
  }

  private static String limits(JsonNode l) {
    StringBuilder sb = new StringBuilder();
    limit(sb, "rpm", l.path("rpm").asLong());
    limit(sb, "tpm", l.path("tpm").asLong());
    limit(sb, "max-parallel", l.path("max_parallel").asLong());
    if (l.path("models").size() > 0) {
      List<String> models = new java.util.ArrayList<>();
      l.path("models").forEach(m -> models.add(m.asText()));
      sb.append(sb.length() == 0 ? "" : ", ").append("models ").append(String.join(",", models));
    }
    return sb.length() == 0 ? "no limits" : sb.toString();
  }

  private static void limit(StringBuilder sb, String name, long v) {
    if (v > 0) {
      sb.append(sb.length() == 0 ? "" : ", ").append(name).append(' ').append(v);
    }
  }

  private static String expires(JsonNode at) {
    return at.isNumber() ? ", expires " + Instant.ofEpochSecond(at.asLong()) : "";
  }
}
