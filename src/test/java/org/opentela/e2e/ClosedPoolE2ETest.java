package org.opentela.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentela.testing.Eventually;
import org.opentela.testing.SteadyLoad;
import org.opentela.testing.FakeOpenAi;
import org.opentela.testing.Http;
import org.opentela.testing.JarProcess;
import org.opentela.testing.Ports;
import org.opentela.trust.Pem;
import org.opentela.trust.PoolTestCa;

/**
 * A closed pool with the real jar, probed as an attacker would: nodes without the token, with a wrong or
 * rotated token, or with a certificate of their own CA never receive a request; a revoked node is
 * dropped and refused; the cluster port survives garbage and foreign TLS handshakes; what crosses the
 * loopback between two nodes is encrypted; certificates renew under load without a failed request.
 */
class ClosedPoolE2ETest {
  private static final String HEAD_ID = "QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE";
  private static final String MODEL = "Qwen/Qwen3-8B";

  /** Command lines of a closed pool on this machine. */
  private static final class Pool {
    final Path dir;
    final int headHttp = Ports.free();
    final int headTcp = Ports.free();

    Pool(Path dir) {
      this.dir = dir;
    }

    String[] head(String... extra) {
      List<String> cmd = new ArrayList<>(List.of("start", "--mode", "standalone", "--public-addr", "127.0.0.1",
          "--seed", "0", "--port", "" + headHttp, "--tcpport", "" + headTcp, "--management.port", "" + Ports.free(),
          "--datadir", dir.resolve("head").toString(), "--pool.secure"));
      cmd.addAll(List.of(extra));
      return cmd.toArray(String[]::new);
    }

    String bootstrap() {
      return "/ip4/127.0.0.1/tcp/" + headTcp + "/p2p/" + HEAD_ID;
    }

    /** A worker serving the llm service from {@code backend}; {@code trust}: its join flags, if any. */
    String[] worker(String name, int seed, int backend, String... trust) {
      List<String> cmd = new ArrayList<>(List.of("start", "--bootstrap.addr", bootstrap(), "--bootstrap.api-port",
          "" + headHttp, "--public-addr", "127.0.0.1", "--seed", "" + seed, "--port", "" + Ports.free(),
          "--tcpport", "" + Ports.free(), "--management.port", "" + Ports.free(),
          "--datadir", dir.resolve(name).toString(), "--service.name", "llm", "--service.port", "" + backend));
      cmd.addAll(List.of(trust));
      return cmd.toArray(String[]::new);
    }

    String url(String path) {
      return "http://127.0.0.1:" + headHttp + path;
    }

    JsonNode table() {
      return Http.getJsonOrNull(url("/v1/dnt/table"));
    }

    /** Fails, saying what the head's table shows, unless {@code peerId} is connected and offers a service. */
    void assertServes(String peerId) {
      JsonNode t = table();
      JsonNode row = t == null ? null : t.get("/" + peerId);
      assertTrue(row != null && row.get("connected").asBoolean() && row.get("service").size() > 0,
          () -> "the head's row of " + peerId + ": " + row);
    }

    String token() throws Exception {
      try (JarProcess p = JarProcess.start("token-show", "token", "show", "--datadir", dir.resolve("head").toString())) {
        assertEquals(0, p.awaitExit(Duration.ofSeconds(30)));
        return p.output().get(p.output().size() - 1).trim();
      }
    }
  }

  private static HttpResponse<String> chat(Pool pool, String text) throws Exception {
    return Http.post(pool.url("/v1/service/llm/v1/chat/completions"),
        "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}");
  }

  private static String peerIdOf(JarProcess p) {
    return p.awaitLine("Peer ID: (Qm\\w+)", Duration.ofSeconds(180));
  }

  @Test
  void onlyTokenHoldersJoinAndRoguesGetNoneOfAHundredRequests(@TempDir Path dir) throws Exception {
    Pool pool = new Pool(dir);
    try (FakeOpenAi honest = FakeOpenAi.start("honest", MODEL);
         FakeOpenAi recorder = FakeOpenAi.start("recorder", MODEL);
         JarProcess head = JarProcess.start("head", pool.head())) {
      String joinLine = head.awaitLine("(Workers join with: .*)", Duration.ofSeconds(180));
      String token = pool.token();
      assertTrue(joinLine.contains("--join-token " + token), joinLine);
      assertTrue(head.output().stream().noneMatch(l -> l.contains("This pool is open")));

      try (JarProcess worker = JarProcess.start("worker", pool.worker("worker", 1, honest.port, "--join-token", token));
           JarProcess noToken = JarProcess.start("no-token", pool.worker("no-token", 11, recorder.port));
           JarProcess ownCa = JarProcess.start("own-ca", pool.worker("own-ca", 13, recorder.port,
               "--tls.dir", PoolTestCa.foreignTlsDir(dir.resolve("rogue-pki"), 13).toString()))) {
        String workerId = peerIdOf(worker);
        Eventually.eventually("the admitted worker serves", Duration.ofSeconds(180), () -> pool.assertServes(workerId));
        assertTrue(noToken.awaitLine("(This pool is open.*)", Duration.ofSeconds(180)).contains("--pool.secure"));

        // A guessed token (right CA, wrong secret) and a rotated one: refused at enrolment, the node says why.
        String[] parts = token.split("\\.");
        String wrong = parts[0] + "." + parts[1] + "." + "A".repeat(43) + "." + parts[3];
        try (JarProcess guessed = JarProcess.start("wrong-token", pool.worker("wrong", 12, recorder.port,
            "--join-token", wrong))) {
          assertEquals(1, guessed.awaitExit(Duration.ofSeconds(180)));
          assertTrue(guessed.output().stream().anyMatch(l -> l.contains("wrong join token")), guessed.output().toString());
        }
        String rotated;
        try (JarProcess rotate = JarProcess.start("token-rotate", "token", "rotate", "--datadir",
            dir.resolve("head").toString())) {
          assertEquals(0, rotate.awaitExit(Duration.ofSeconds(30)));
          rotated = rotate.output().stream().filter(l -> l.startsWith("otela1.")).findFirst().orElseThrow();
        }
        try (JarProcess stale = JarProcess.start("old-token", pool.worker("old", 14, recorder.port,
            "--join-token", token))) {
          assertEquals(1, stale.awaitExit(Duration.ofSeconds(180)));
          assertTrue(stale.output().stream().anyMatch(l -> l.contains("rotated")), stale.output().toString());
        }

        for (int i = 0; i < 100; i++) {
          HttpResponse<String> r = chat(pool, "prompt " + i);
          assertEquals(200, r.statusCode(), r.body());
          assertTrue(r.body().contains("hello from honest"), r.body());
        }
        assertEquals(0, recorder.requests.stream().filter(s -> s.path().contains("chat")).count(),
            "no rogue node received a prompt");
        JsonNode t = pool.table();
        assertEquals(2, t.size(), "only the head and the admitted worker are in the table: " + t);
        assertTrue(worker.process().isAlive(), "rotating the token did not cut off the admitted worker");

        // The new token admits a new node.
        try (FakeOpenAi second = FakeOpenAi.start("second", MODEL);
             JarProcess late = JarProcess.start("new-token", pool.worker("new", 15, second.port, "--join-token", rotated))) {
          String lateId = peerIdOf(late);
          Eventually.eventually("a node with the rotated token serves", Duration.ofSeconds(180), () -> pool.assertServes(lateId));
        }
      }
    }
  }

  @Test
  void aRevokedNodeIsDroppedAndRefused(@TempDir Path dir) throws Exception {
    Pool pool = new Pool(dir);
    try (FakeOpenAi b1 = FakeOpenAi.start("b1", MODEL); FakeOpenAi b2 = FakeOpenAi.start("b2", MODEL);
         JarProcess head = JarProcess.start("head", pool.head())) {
      head.awaitLine("Workers join with", Duration.ofSeconds(180));
      String token = pool.token();
      String[] revokedCmd = pool.worker("w2", 2, b2.port, "--join-token", token);
      String revokedId;
      try (JarProcess w1 = JarProcess.start("w1", pool.worker("w1", 1, b1.port, "--join-token", token));
           JarProcess w2 = JarProcess.start("w2", revokedCmd)) {
        String id1 = peerIdOf(w1);
        String id2 = peerIdOf(w2);
        revokedId = id2;
        Eventually.eventually("both serve", Duration.ofSeconds(180), () -> {
          pool.assertServes(id1);
          pool.assertServes(id2);
        });
        try (JarProcess revoke = JarProcess.start("revoke", "nodes", "revoke", id2, "--datadir",
            dir.resolve("head").toString())) {
          assertEquals(0, revoke.awaitExit(Duration.ofSeconds(30)));
        }
        long revoked = System.nanoTime();
        Eventually.eventually("the revoked node is out of the head's table", Duration.ofSeconds(30),
            () -> assertFalse(pool.table().has("/" + id2), () -> pool.table().toString()));
        System.out.println("revocation: out of the table " + (System.nanoTime() - revoked) / 1_000_000 + " ms after"
            + " 'otela nodes revoke'");
        assertEquals(1, w2.awaitExit(Duration.ofSeconds(180)), "the revoked node stops");
        assertTrue(w2.output().stream().anyMatch(l -> l.contains("was revoked from the pool")));
        int before = b2.requests.size();
        for (int i = 0; i < 20; i++) {
          assertEquals(200, chat(pool, "after revocation " + i).statusCode());
        }
        assertEquals(before, b2.requests.size(), "no request reaches the revoked node");
      }
      // Started again with the same command (its certificate is still valid): refused.
      try (JarProcess again = JarProcess.start("w2-again", revokedCmd)) {
        int code = again.awaitExit(Duration.ofSeconds(180));
        assertEquals(1, code);
        assertTrue(again.output().stream().anyMatch(l -> l.contains("revoked")), again.output().toString());
        assertFalse(pool.table().has("/" + revokedId), "the revoked node never got back into the table");
      }
    }
  }

  @Test
  void garbageAndForeignTlsHandshakesOnTheClusterPortLeaveThePoolServing(@TempDir Path dir) throws Exception {
    Pool pool = new Pool(dir);
    try (FakeOpenAi backend = FakeOpenAi.start("b", MODEL); JarProcess head = JarProcess.start("head", pool.head())) {
      head.awaitLine("Workers join with", Duration.ofSeconds(180));
      try (JarProcess w = JarProcess.start("w", pool.worker("w", 1, backend.port, "--join-token", pool.token()))) {
        String id = peerIdOf(w);
        Eventually.eventually("the worker serves", Duration.ofSeconds(180), () -> pool.assertServes(id));
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < 20; i++) {
          byte[] junk = new byte[1 + random.nextInt(4096)];
          random.nextBytes(junk);
          rawSend(pool.headTcp, junk);
        }
        rawSend(pool.headTcp, "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        rawSend(pool.headTcp, new byte[] {'A', 'K', 'K', 'A', 0, 0, 0, 0}); // a plain Artery greeting
        assertFalse(tlsHandshake(pool.headTcp, null), "a client without a certificate is refused");
        Path foreign = PoolTestCa.foreignTlsDir(dir.resolve("foreign"), 7);
        assertFalse(tlsHandshake(pool.headTcp, foreign), "a certificate of another CA is refused");
        for (int i = 0; i < 20; i++) {
          assertEquals(200, chat(pool, "still serving " + i).statusCode());
        }
        assertTrue(head.process().isAlive() && w.process().isAlive());
        pool.assertServes(id);
      }
    }
  }

  @Test
  void trafficBetweenTwoNodesCarriesNoPromptInClearText(@TempDir Path dir) throws Exception {
    boolean root = ProcessHandle.current().info().user().orElse("").equals("root");
    boolean hasTcpdump = new java.io.File("/usr/bin/tcpdump").canExecute() || new java.io.File("/usr/sbin/tcpdump").canExecute();
    assumeTrue(root && hasTcpdump, "needs root and tcpdump to capture loopback traffic (.ci/run installs tcpdump)");
    String marker = "confidential-prompt-" + Long.toHexString(new SecureRandom().nextLong());
    Pool pool = new Pool(dir);
    try (FakeOpenAi backend = FakeOpenAi.start("b", MODEL); JarProcess head = JarProcess.start("head", pool.head())) {
      head.awaitLine("Workers join with", Duration.ofSeconds(180));
      int workerTcp = Ports.free();
      String[] cmd = pool.worker("w", 1, backend.port, "--join-token", pool.token());
      for (int i = 0; i < cmd.length; i++) {
        if (cmd[i].equals("--tcpport")) {
          cmd[i + 1] = "" + workerTcp;
        }
      }
      try (JarProcess w = JarProcess.start("w", cmd)) {
        String id = peerIdOf(w);
        Eventually.eventually("the worker serves", Duration.ofSeconds(180), () -> pool.assertServes(id));
        Path capture = dir.resolve("loopback.pcap");
        Process tcpdump = new ProcessBuilder("tcpdump", "-i", "lo", "-U", "-s", "0", "-w", capture.toString(),
            "tcp port " + pool.headTcp + " or tcp port " + workerTcp).redirectErrorStream(true)
            .redirectOutput(dir.resolve("tcpdump.log").toFile()).start();
        try {
          Eventually.eventually("tcpdump listens", Duration.ofSeconds(10),
              () -> assertTrue(readQuietly(dir.resolve("tcpdump.log")).contains("listening"),
                  () -> readQuietly(dir.resolve("tcpdump.log"))));
          for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = chat(pool, marker);
            assertEquals(200, r.statusCode(), r.body());
          }
          assertTrue(backend.requests.stream().anyMatch(s -> new String(s.body(), StandardCharsets.UTF_8).contains(marker)),
              "the prompt reached the backend");
          Thread.sleep(1000);
        } finally {
          tcpdump.destroy();
          tcpdump.waitFor(10, TimeUnit.SECONDS);
        }
        byte[] pcap = Files.readAllBytes(capture);
        assertTrue(pcap.length > 20 * 500, "the capture holds the 20 requests' traffic (" + pcap.length + " bytes)");
        assertFalse(new String(pcap, StandardCharsets.ISO_8859_1).contains(marker),
            "the prompt's text crossed the loopback in clear");
        assertFalse(new String(pcap, StandardCharsets.ISO_8859_1).contains("hello from b"),
            "the answer's text crossed the loopback in clear");
      }
    }
  }

  @Test
  void certificatesRenewWhileRequestsFlowWithNoneFailed(@TempDir Path dir) throws Exception {
    Pool pool = new Pool(dir);
    try (FakeOpenAi backend = FakeOpenAi.start("b", MODEL);
         JarProcess head = JarProcess.start("head", pool.head("--pool.cert-lifetime", "30s"))) {
      head.awaitLine("Workers join with", Duration.ofSeconds(180));
      try (JarProcess w = JarProcess.start("w", pool.worker("w", 1, backend.port, "--join-token", pool.token()))) {
        String id = peerIdOf(w);
        Eventually.eventually("the worker serves", Duration.ofSeconds(180), () -> pool.assertServes(id));
        SteadyLoad load = SteadyLoad.start(4, () -> chat(pool, "renewal"));
        // 65 s: each node renews about every 20 s (two thirds of 30 s), so at least two renewals each, and
        // connections are opened after the first certificates expired.
        Thread.sleep(65_000);
        load.close();
        long workerRenewals = w.output().stream().filter(l -> l.contains("Renewed this node's certificate")).count();
        long headRenewals = head.output().stream().filter(l -> l.contains("Renewed this node's certificate")).count();
        System.out.println("renewal under load: " + load.ok() + " requests, " + load.failures().size() + " failed; renewals:"
            + " worker " + workerRenewals + ", head " + headRenewals);
        assertEquals(List.of(), load.failures());
        assertTrue(load.ok() > 100, "requests flowed: " + load.ok());
        assertTrue(workerRenewals >= 2 && headRenewals >= 2, "worker " + workerRenewals + ", head " + headRenewals);
        pool.assertServes(id);
      }
    }
  }

  private static String readQuietly(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "";
    }
  }

  private static void rawSend(int port, byte[] bytes) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(2000);
      OutputStream out = s.getOutputStream();
      out.write(bytes);
      out.flush();
      InputStream in = s.getInputStream();
      in.read(new byte[1024]); // the node answers with a TLS alert, or closes
    } catch (IOException expected) {
      // a closed or reset connection is the expected answer
    }
  }

  /** True if a TLS handshake with the cluster port completes, with the key and certificate in {@code tlsDir} if given. */
  private static boolean tlsHandshake(int port, Path tlsDir) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLSv1.3");
    javax.net.ssl.KeyManager[] kms = null;
    if (tlsDir != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null);
      X509Certificate cert = Pem.readCertificate(tlsDir.resolve("tls.crt"));
      ks.setKeyEntry("k", Pem.readPrivateKey(tlsDir.resolve("tls.key")), new char[0], new X509Certificate[] {cert});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
      kms = kmf.getKeyManagers();
    }
    TrustManager trustAll = new X509TrustManager() {
      public void checkClientTrusted(X509Certificate[] c, String a) {}
      public void checkServerTrusted(X509Certificate[] c, String a) {}
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    ctx.init(kms, new TrustManager[] {trustAll}, new SecureRandom());
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(5000);
      s.startHandshake();
      // TLS 1.3: the server checks the client's certificate after the client's Finished; its refusal arrives
      // as an alert on the first read.
      s.getOutputStream().write(new byte[] {'A', 'K', 'K', 'A'});
      s.getOutputStream().flush();
      return s.getInputStream().read() >= 0;
    } catch (IOException refused) {
      return false;
    }
  }

}
