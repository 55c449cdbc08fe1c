package org.opentela.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.typesafe.config.Config;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import org.opentela.Json;
import org.opentela.auth.AuthSettings;
import org.opentela.config.ConfigReader;
import org.opentela.config.UsageException;
import org.opentela.http.PoolView;

/**
 * {@code otela status [--head URL] [--watch] [--interval 2s] [--admin_key_file FILE]}: asks a node for {@code /v1/dnt/pool} and prints
 * the pool as tables; with {@code --watch}, redraws them in place until interrupted. Exit codes: 0 when the
 * head answered, 1 when it did not (or never did, with {@code --watch}), 2 for a bad command line.
 */
public final class StatusCommand {
  /** ANSI: cursor home, then clear the screen, so each refresh replaces the last. */
  private static final String CLEAR = "\033[H\033[2J";

  /**
   * The command's settings: the head's base URL, whether to watch, how often, and the admin key to show
   * (empty when none is given: a pool without API keys needs none).
   */
  public record Settings(URI head, boolean watch, Duration interval, String adminKey) {
    public static Settings fromConfig(Config config, Map<String, String> env) {
      ConfigReader r = new ConfigReader(config);
      Duration interval = r.duration("otela.status.interval");
      if (interval.toMillis() < 100) {
        throw UsageException.badValue("otela.status.interval", interval, ">= 100ms");
      }
      return new Settings(headUrl(r.string("otela.status.head")), r.bool("otela.status.watch"), interval,
          AuthSettings.adminKeyOf(r.string("otela.status.admin_key_file"), env));
    }

    static URI headUrl(String value) {
      String v = value.trim();
      String url = v.contains("://") ? v : "http://" + v;
      try {
        URI u = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
          throw new IllegalArgumentException("not an http(s) URL");
        }
        return u;
      } catch (IllegalArgumentException e) {
        throw UsageException.badValue("otela.status.head", value, "a node's URL or HOST:PORT, e.g. http://10.0.0.1:8092");
      }
    }
  }

  /** Why a head gave no pool: the message says what to check. */
  static final class NoAnswer extends Exception {
    private static final long serialVersionUID = 1L;

    NoAnswer(String message) {
      super(message);
    }
  }

  private final Settings settings;
  private final HttpClient client;
  private final PrintStream out;
  private final PrintStream err;

  StatusCommand(Settings settings, PrintStream out, PrintStream err) {
    this.settings = settings;
    this.out = out;
    this.err = err;
    this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).version(HttpClient.Version.HTTP_1_1)
        .build();
  }

  public static int run(Config config, Map<String, String> env, PrintStream out, PrintStream err) {
    return new StatusCommand(Settings.fromConfig(config, env), out, err).run();
  }

  int run() {
    if (!settings.watch()) {
      try {
        out.print(StatusTables.render(fetch(), settings.head().toString()));
        return 0;
      } catch (NoAnswer e) {
        err.println("otela status: " + e.getMessage());
        return 1;
      }
    }
    boolean answered = false;
    while (!Thread.currentThread().isInterrupted()) {
      String screen;
      try {
        screen = StatusTables.render(fetch(), settings.head().toString());
        answered = true;
      } catch (NoAnswer e) {
        if (!answered) {
          err.println("otela status: " + e.getMessage());
          return 1;
        }
        screen = "otela status: " + e.getMessage() + " (still trying every " + settings.interval().toMillis()
            + " ms; Ctrl-C to stop)\n";
      }
      out.print(CLEAR + screen);
      out.flush();
      try {
        Thread.sleep(settings.interval().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return 0;
  }

  PoolView fetch() throws NoAnswer {
    URI uri = URI.create(settings.head() + "/v1/dnt/pool");
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
        .header("Accept", "application/json").GET();
    if (!settings.adminKey().isEmpty()) {
      request.header("Authorization", "Bearer " + settings.adminKey());
    }
    HttpResponse<String> r;
    try {
      r = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new NoAnswer("no node answers at " + settings.head() + " (connection refused). Is the head running,"
          + " and is that its --port? Give another with --head URL.");
    } catch (HttpTimeoutException e) {
      throw new NoAnswer(settings.head() + " did not answer in time (" + e.getMessage() + ").");
    } catch (IOException e) {
      throw new NoAnswer("cannot reach " + settings.head() + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new NoAnswer("interrupted");
    }
    if ((r.statusCode() == 401 || r.statusCode() == 403) && settings.adminKey().isEmpty()) {
      throw new NoAnswer(uri + " answered " + r.statusCode() + ": the pool has API keys on, and its status is for"
          + " the admin: give the admin key in the environment variable " + AuthSettings.ENV
          + " or with --admin_key_file FILE.");
    }
    if (r.statusCode() != 200) {
      throw new NoAnswer(uri + " answered " + r.statusCode() + ": " + abbreviate(r.body())
          + (r.statusCode() == 404 ? " (is it an otela node of this version?)" : ""));
    }
    try {
      return Json.MAPPER.readValue(r.body(), PoolView.class);
    } catch (JsonProcessingException e) {
      throw new NoAnswer(uri + " answered something that is not the pool: " + e.getOriginalMessage()
          + " (is it an otela node of this version?)");
    }
  }

  private static String abbreviate(String body) {
    String oneLine = body.replaceAll("\\s+", " ").trim();
    return oneLine.length() > 300 ? oneLine.substring(0, 300) + "..." : oneLine;
  }
}
