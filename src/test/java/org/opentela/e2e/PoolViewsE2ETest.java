package org.opentela.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.opentela.testing.Eventually.eventually;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.expositionformats.generated.com_google_protobuf_4_36_2.Metrics;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.opentela.testing.Http;
import org.opentela.testing.JarProcess;
import org.opentela.testing.MetricsText;
import org.opentela.testing.Ports;

/**
 * What an operator looks at, against a real pool of jar processes (a head, and a worker running llm-sim):
 * {@code otela status}, {@code /metrics} in each exposition format, and the {@code /ui} dashboard in a real
 * headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, installed by {@code .ci/run}).
 * The dashboard test runs last: it kills the worker.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolViewsE2ETest {
  static final String MODEL = "Qwen/Qwen3-8B";
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static JarProcess head;
  static JarProcess worker;
  static int headHttp;
  static String workerId;
  static String headUrl;

  @BeforeAll
  static void startPool() throws Exception {
    Path dir = Files.createTempDirectory("views-e2e");
    headHttp = Ports.free();
    headUrl = "http://127.0.0.1:" + headHttp;
    int backendPort = Ports.free();
    head = JarProcess.start("head", "start", "--mode", "standalone", "--public-addr", "127.0.0.1", "--seed", "0",
        "--port", "" + headHttp, "--tcpport", "" + Ports.free(), "--management.port", "" + Ports.free(),
        "--datadir", dir.resolve("head").toString());
    String bootstrap = head.awaitLine("Workers join with: --bootstrap.addr (\\S+)", Duration.ofSeconds(60));
    // --public-addr: on a machine whose other interfaces come and go (other tests' network namespaces), the
    // worker must not advertise one of them.
    worker = JarProcess.start("worker", "start", "--bootstrap.addr", bootstrap, "--public-addr", "127.0.0.1",
        "--subprocess", JarProcess.javaBin() + " -Xmx128m -jar " + JarProcess.jar() + " llm-sim --port " + backendPort
            + " --model " + MODEL + " --ttft-ms 5 --itl-ms 2",
        "--service.name", "llm", "--service.port", "" + backendPort, "--seed", "1",
        "--port", "" + Ports.free(), "--tcpport", "" + Ports.free(), "--management.port", "" + Ports.free(),
        "--datadir", dir.resolve("worker").toString());
    workerId = worker.awaitLine("Peer ID: (Qm\\w+)", Duration.ofSeconds(60));
    eventually("the head's table to show the worker's llm service", Duration.ofSeconds(120), () -> {
      JsonNode t = Http.getJsonOrNull(headUrl + "/v1/dnt/table");
      JsonNode row = t == null ? null : t.path("/" + workerId);
      assertTrue(row != null && row.path("connected").asBoolean() && row.path("service").size() == 1
          && "connected".equals(row.path("service").get(0).path("status").asText()), () -> "the worker's row: " + row);
    });
  }

  @AfterAll
  static void stopPool() throws Exception {
    if (worker != null) {
      worker.close();
    }
    if (head != null) {
      head.close();
    }
  }

  static void chat() throws Exception {
    HttpResponse<String> r = Http.post(headUrl + "/v1/service/llm/v1/chat/completions",
        "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertEquals(200, r.statusCode(), r.body());
  }

  @Test
  @Order(1)
  void statusPrintsTheNodesAndModelsOfThePool() throws Exception {
    chat();
    JarProcess status = JarProcess.start("status", "status", "--head", "127.0.0.1:" + headHttp);
    assertEquals(0, status.awaitExit(Duration.ofSeconds(60)), String.join("\n", status.output()));
    String out = String.join("\n", status.output());
    assertTrue(out.contains("NODE") && out.contains("STATUS") && out.contains("VERSION"), out);
    String workerRow = status.output().stream().filter(l -> l.startsWith(workerId)).findFirst()
        .orElseThrow(() -> new AssertionError("no row for the worker " + workerId + " in:\n" + out));
    assertTrue(workerRow.matches(".*\\bworker\\b.*\\bup\\b.*\\bllm\\b.*"), workerRow);
    String modelRow = status.output().stream().filter(l -> l.startsWith("llm") && l.contains(MODEL)).findFirst()
        .orElseThrow(() -> new AssertionError("no row for " + MODEL + " in:\n" + out));
    assertTrue(modelRow.contains("1/1 up"), modelRow);
    assertTrue(out.contains("RUNNING") && out.contains("KV-CACHE"), out);
  }

  @Test
  @Order(2)
  void statusExitsNonZeroWhenNoHeadAnswers() throws Exception {
    int nobody = Ports.free();
    JarProcess status = JarProcess.start("status-nobody", "status", "--head", "http://127.0.0.1:" + nobody);
    assertEquals(1, status.awaitExit(Duration.ofSeconds(60)), String.join("\n", status.output()));
    assertTrue(String.join("\n", status.output()).contains("no node answers at http://127.0.0.1:" + nobody),
        String.join("\n", status.output()));
  }

  @Test
  @Order(3)
  void statusWatchRedrawsInPlace() throws Exception {
    JarProcess status = JarProcess.start("status-watch", "status", "--head", headUrl, "--watch", "--interval", "300ms");
    try {
      eventually("two screens drawn in place", Duration.ofSeconds(30), () -> {
        long screens = status.output().stream().filter(l -> l.contains("\033[H\033[2J")).count();
        assertTrue(screens >= 2, () -> "screens: " + screens + "; output: " + status.output());
      });
    } finally {
      status.close();
    }
  }

  @Test
  @Order(4)
  void metricsInTheTextFormatOpenMetricsAndProtobufCarryTheSameSeries() throws Exception {
    chat();
    HttpResponse<String> text = scrape(null, HttpResponse.BodyHandlers.ofString());
    assertTrue(text.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
        text.headers().toString());
    MetricsText t = MetricsText.parse(text.body());
    assertTrue(t.value("otela_requests_total", "service", "llm", "code", "200") >= 2, text.body());
    assertEquals(1, t.value("otela_model_providers", "service", "llm", "model", MODEL), text.body());
    assertTrue(t.value("otela_model_requests_total", "service", "llm", "model", MODEL, "code", "200") >= 2);
    assertTrue(t.value("otela_overhead_seconds_count", "service", "llm") >= 2, text.body());
    assertTrue(t.find("otela_worker_requests_in_flight", "worker", workerId).isPresent(), text.body());

    HttpResponse<String> om = scrape("application/openmetrics-text; version=1.0.0; charset=utf-8",
        HttpResponse.BodyHandlers.ofString());
    assertTrue(om.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"),
        om.headers().toString());
    MetricsText o = MetricsText.parse(om.body());
    assertTrue(o.eof(), "OpenMetrics ends with # EOF");
    assertEquals("counter", o.types().get("otela_requests"));
    assertTrue(o.value("otela_requests_total", "service", "llm", "code", "200") >= 2, om.body());

    HttpResponse<byte[]> pb = scrape("application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;"
        + " encoding=delimited", HttpResponse.BodyHandlers.ofByteArray());
    assertTrue(pb.headers().firstValue("Content-Type").orElse("").startsWith("application/vnd.google.protobuf"),
        pb.headers().toString());
    Map<String, Metrics.MetricFamily> families = new HashMap<>();
    ByteArrayInputStream in = new ByteArrayInputStream(pb.body());
    Metrics.MetricFamily f;
    while ((f = Metrics.MetricFamily.parseDelimitedFrom(in)) != null) {
      families.put(f.getName(), f);
    }
    Metrics.MetricFamily requests = families.get("otela_requests_total");
    assertEquals(Metrics.MetricType.COUNTER, requests.getType());
    double ok = requests.getMetricList().stream().filter(m -> labels(m).equals(Map.of("service", "llm", "code", "200")))
        .mapToDouble(m -> m.getCounter().getValue()).sum();
    assertTrue(ok >= 2, requests.toString());
    assertEquals(Metrics.MetricType.HISTOGRAM, families.get("otela_request_duration_seconds").getType());
  }

  private static Map<String, String> labels(Metrics.Metric m) {
    Map<String, String> out = new HashMap<>();
    m.getLabelList().forEach(l -> out.put(l.getName(), l.getValue()));
    return out;
  }

  private static <T> HttpResponse<T> scrape(String accept, HttpResponse.BodyHandler<T> body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(headUrl + "/metrics")).timeout(Duration.ofSeconds(10));
    if (accept != null) {
      b.header("Accept", accept);
    }
    HttpResponse<T> r = Http.client().send(b.build(), body);
    assertEquals(200, r.statusCode());
    return r;
  }

  static ChromeDriver browser() throws Exception {
    assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "the dashboard test drives Debian's chromium: apt-get install chromium chromium-driver (as .ci/run does)");
    ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
        .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
            "--disable-gpu", "--user-data-dir=" + Files.createTempDirectory("chromium"));
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  /**
   * With API keys on, a browser (which sends no Authorization when it opens a page) still loads the page; the
   * page asks for the admin key, says so when a key is refused, and shows the pool once given the right one.
   */
  @Test
  @Order(4)
  void withApiKeysOnTheDashboardAsksForTheAdminKey() throws Exception {
    Path dir = Files.createTempDirectory("views-keys-e2e");
    String admin = "dashboard-admin-key-0123456789abcdef";
    Path keyFile = Files.writeString(dir.resolve("admin.key"), admin + "\n");
    int port = Ports.free();
    String url = "http://127.0.0.1:" + port;
    try (JarProcess keyed = JarProcess.start("head-keys", "start", "--mode", "standalone", "--public-addr",
        "127.0.0.1", "--seed", "2", "--port", "" + port, "--tcpport", "" + Ports.free(), "--management.port",
        "" + Ports.free(), "--datadir", dir.resolve("head").toString(), "--auth.admin_key_file", keyFile.toString())) {
      String id = keyed.awaitLine("Peer ID: (Qm\\w+)", Duration.ofSeconds(60));
      keyed.awaitLine("(Workers join with)", Duration.ofSeconds(60));
      HttpResponse<String> data = Http.get(url + "/v1/dnt/pool");
      assertEquals(401, data.statusCode(), "the data needs the key: " + data.body());
      ChromeDriver browser = browser();
      try {
        browser.get(url + "/ui");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(200));
        wait.withMessage("the key form").until(d -> Boolean.FALSE.equals(js(d,
            "return document.getElementById('login').hidden;")));
        assertEquals(0L, js(browser, "return document.querySelectorAll('#nodes tbody tr').length;"),
            "no data without the key");
        browser.findElement(By.id("admin-key")).sendKeys("not-the-admin-key-0123456789");
        browser.findElement(By.cssSelector("#login button")).click();
        wait.withMessage("the refused key's message").until(d -> String.valueOf(js(d,
            "return document.getElementById('login-error').textContent;")).contains("refused"));
        browser.findElement(By.id("admin-key")).sendKeys(admin);
        browser.findElement(By.cssSelector("#login button")).click();
        wait.withMessage("the head's row, up, once given the admin key").until(d -> "up".equals(js(d,
            "var r = document.querySelector(\"#nodes tr[data-node='" + id + "']\"); return r && r.dataset.status;")));
        assertEquals(Boolean.TRUE, js(browser, "return document.getElementById('login').hidden;"));
      } finally {
        browser.quit();
      }
    }
  }

  @Test
  @Order(5)
  void theDashboardShowsTheNodesLiveTrafficAndANodeThatStopsAsUnreachable() throws Exception {
    ChromeDriver browser = browser();
    try {
      browser.get(headUrl + "/ui");
      WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60), Duration.ofMillis(200));
      // The page redraws its tables on every poll: read them in one script each time, never hold an element.
      wait.withMessage("the worker's row, up").until(d -> "up".equals(js(d, "var r = document.querySelector("
          + "\"#nodes tr[data-node='" + workerId + "']\"); return r && r.dataset.status;")));
      String version = (String) js(browser, "var r = document.querySelector(\"#nodes tr[data-node='"
          + workerId + "'] td.version\"); return r && r.textContent;");
      assertTrue(version != null && version.matches("\\d+\\.\\d+.*"), "the worker's version: " + version);

      // Live traffic: requests while the page watches reach the requests-per-second chart.
      for (int i = 0; i < 6; i++) {
        chat();
        Thread.sleep(300); // spread over a few of the history's one-second points
      }
      wait.withMessage("the requests chart to plot " + MODEL).until(d -> Boolean.TRUE.equals(js(d,
          "var c = document.getElementById('chart-rps');"
          + " return (c.dataset.series || '').indexOf(arguments[0]) >= 0 && Number(c.dataset.values) > 0"
          + " && c.querySelector('canvas') !== null;", MODEL)));
      wait.withMessage("the model's row to show its traffic").until(d -> Boolean.TRUE.equals(js(d,
          "return Array.from(document.querySelectorAll('#models td.rps')).some(function (td) {"
          + " return td.textContent !== '\u2013'; });")));
      screenshot(browser, "dashboard.png");

      worker.kill(); // the machine dies: the head sees the node unreachable
      wait.withTimeout(Duration.ofSeconds(90)).withMessage("the worker's row to turn unreachable").until(d ->
          "unreachable".equals(js(d, "var r = document.querySelector(\"#nodes tr[data-node='" + workerId + "']\");"
              + " return r && r.dataset.status;")));
      screenshot(browser, "dashboard-unreachable.png");
    } finally {
      browser.quit();
    }
  }

  private static Object js(org.openqa.selenium.WebDriver d, String script, Object... args) {
    return ((org.openqa.selenium.JavascriptExecutor) d).executeScript(script, args);
  }

  private static void screenshot(ChromeDriver browser, String name) throws Exception {
    File shot = browser.getScreenshotAs(OutputType.FILE);
    Path target = Path.of("target", name);
    Files.createDirectories(target.getParent());
    Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    System.out.println("screenshot: " + target.toAbsolutePath());
  }
}
