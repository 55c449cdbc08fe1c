package org.opentela.trust;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.opentela.cluster.Multiaddr;
import org.opentela.identity.NodeIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How this node is trusted, decided before its actor system starts: an open pool, or a closed one with
 * this node's TLS files ready (the CA head certifies itself; a worker enrols with its join token; with
 * {@code --tls.dir} the files are the user's). Lives as long as the node (member replacements included).
 */
public final class PoolTrust {
  private static final Logger log = LoggerFactory.getLogger(PoolTrust.class);
  private static final Duration RETRY = Duration.ofSeconds(2);
  private static final Duration REPORT = Duration.ofSeconds(10);

  private final TrustSettings settings;
  private final Optional<TlsFiles> tls;
  private final Optional<Enroller> enroller;
  private final Optional<PoolDir> poolDir;
  private final List<URI> heads;
  private final DenyList denyList = new DenyList();

  private PoolTrust(TrustSettings settings, Optional<TlsFiles> tls, Optional<Enroller> enroller,
      Optional<PoolDir> poolDir, List<URI> heads) {
    this.settings = settings;
    this.tls = tls;
    this.enroller = enroller;
    this.poolDir = poolDir;
    this.heads = List.copyOf(heads);
  }

  /** An open pool: no TLS, no CA. */
  public static PoolTrust open(TrustSettings settings) {
    return new PoolTrust(settings, Optional.empty(), Optional.empty(), Optional.empty(), List.of());
  }

  /**
   * Prepares this node's trust: creates the pool CA and certifies this head, enrols this node with its join
   * token (retrying while the head cannot be reached), or checks the files of {@code --tls.dir}. Throws with
   * a message for the user if the node cannot be admitted as configured.
   */
  public static PoolTrust prepare(TrustSettings s, NodeIdentity identity, Path dataDir, Path nodeDir,
      List<Multiaddr> bootstrap) throws IOException {
    if (!s.closed()) {
      return open(s);
    }
    if (s.tlsDir().isPresent()) {
      TlsFiles files = TlsFiles.in(s.tlsDir().get());
      String named = Certificates.peerId(files.readCert());
      if (!identity.peerId().equals(named)) {
        throw new IOException("--tls.dir: " + files.cert() + " names peer " + named + ", not this node ("
            + identity.peerId() + "); issue it with CN=" + identity.peerId() + " (or the URI SAN otela:peer:"
            + identity.peerId() + "); 'otela peer-id' prints the id");
      }
      return new PoolTrust(s, Optional.of(files), Optional.empty(), Optional.empty(), List.of());
    }
    TlsFiles files = TlsFiles.in(nodeDir.resolve("tls"));
    if (s.secure()) {
      PoolDir pool = PoolDir.of(dataDir, s.tokenFile());
      boolean existed = pool.exists();
      PoolCa ca = PoolCa.loadOrCreate(pool.dir());
      pool.tokenOrCreate(ca);
      log.info(existed ? "Closed pool: using the pool CA in {}" : "Closed pool: created the pool CA in {}; keep this"
          + " directory safe (its ca.key admits nodes)", pool.dir());
      Enroller enroller = new Enroller(ca, pool, s.certLifetime());
      PoolTrust t = new PoolTrust(s, Optional.of(files), Optional.of(enroller), Optional.of(pool), List.of());
      t.renewLocally(identity.peerId());
      return t;
    }
    List<URI> heads = new ArrayList<>();
    for (Multiaddr a : bootstrap) {
      String host = a.host().contains(":") ? "[" + a.host() + "]" : a.host();
      heads.add(URI.create("http://" + host + ":" + s.bootstrapApiPort()));
    }
    PoolTrust t = new PoolTrust(s, Optional.of(files), Optional.empty(), Optional.empty(), heads);
    if (!t.holdsCertificateOf(s.joinToken().get())) {
      t.enrol(s.joinToken().get(), identity);
    }
    return t;
  }

  /** True if this node already holds a valid certificate of the CA the token pins. */
  private boolean holdsCertificateOf(JoinToken token) {
    TlsFiles f = tls.get();
    if (!f.complete()) {
      return false;
    }
    try {
      X509Certificate cert = f.readCert();
      cert.checkValidity();
      return Arrays.equals(Certificates.publicKeyHash(f.readCa()), token.caHash());
    } catch (IOException | java.security.cert.CertificateException e) {
      return false;
    }
  }

  private void enrol(JoinToken token, NodeIdentity identity) throws IOException {
    long start = System.nanoTime();
    long nextReport = start + REPORT.toNanos();
    while (true) {
      Enrolment.Refused noCa = null;
      boolean unreachable = false;
      for (URI head : heads) {
        try {
          Enrolment.enrol(head, token, identity, tls.get());
          log.info("Enrolled in the closed pool at {}: certificate for {} valid until {}", head, identity.peerId(),
              tls.get().readCert().getNotAfter());
          return;
        } catch (Enrolment.Unreachable e) {
          unreachable = true;
          log.debug("enrolment at {} failed: {}", head, e.getMessage());
        } catch (Enrolment.Refused e) {
          if (!e.noCa) {
            throw e;
          }
          noCa = e; // another bootstrap address may hold the CA
        }
      }
      if (noCa != null && !unreachable) {
        throw noCa;
      }
      if (System.nanoTime() > nextReport) {
        nextReport += REPORT.toNanos();
        log.info("Waiting for the head to enrol this node ({} s): no answer at {}; is the head running, and is its"
            + " HTTP API (--port, here --bootstrap.api-port {}) reachable from here?",
            Duration.ofNanos(System.nanoTime() - start).toSeconds(), heads, settings.bootstrapApiPort());
      }
      try {
        Thread.sleep(RETRY.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while enrolling", e);
      }
    }
  }

  /**
   * A new certificate for this node: from the CA itself on its head, else from a head that holds it. If the
   * head refuses the renewal (the certificate expired, say while this node was cut off), the node enrols
   * again with its join token, if that is still the pool's.
   */
  public X509Certificate renew(NodeIdentity identity) throws IOException {
    if (enroller.isPresent()) {
      return renewLocally(identity.peerId());
    }
    IOException last = new IOException("no head to renew at");
    for (URI head : heads) {
      try {
        return Enrolment.renew(head, identity.peerId(), tls.get());
      } catch (Enrolment.Refused refused) {
        if (settings.joinToken().isEmpty()) {
          throw refused;
        }
        log.warn("The head refused to renew this node's certificate ({}); enrolling again with the join token",
            refused.getMessage());
        Enrolment.enrol(head, settings.joinToken().get(), identity, tls.get());
        return tls.get().readCert();
      } catch (IOException e) {
        last = e;
      }
    }
    throw last;
  }

  private X509Certificate renewLocally(String peerId) throws IOException {
    TlsFiles files = tls.get();
    KeyPair key = Enrolment.keyPair(files);
    PoolCa ca = enroller.get().ca();
    try {
      X509Certificate cert = ca.issue(key.getPublic(), peerId, settings.certLifetime());
      Pem.write(files.ca(), Pem.encode(ca.certificate()), false);
      Pem.write(files.cert(), Pem.encode(cert), false);
      return cert;
    } catch (PoolCa.Refused e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /**
   * How this node's table record is signed and others' are checked: with its certificate in a closed pool
   * (read now: a member started later uses the renewed one), with its node key in an open one.
   */
  public org.opentela.table.RecordSeal recordSeal(NodeIdentity identity) throws IOException {
    if (!closed()) {
      return RecordSeals.byNodeKey(identity);
    }
    TlsFiles f = tls.get();
    return RecordSeals.byCertificate(f.readKey(), f.readCert(), f.readCa());
  }

  public TrustSettings settings() {
    return settings;
  }

  public boolean closed() {
    return tls.isPresent();
  }

  public Optional<TlsFiles> tls() {
    return tls;
  }

  /** The enrolment service, on the head that holds the pool CA. */
  public Optional<Enroller> enroller() {
    return enroller;
  }

  /** The pool directory, on the head that holds the pool CA. */
  public Optional<PoolDir> poolDir() {
    return poolDir;
  }

  public DenyList denyList() {
    return denyList;
  }

  /** True if this node renews its own certificate (not with --tls.dir, whose files the user renews). */
  public boolean renews() {
    return closed() && settings.tlsDir().isEmpty();
  }

  /**
   * The Pekko settings of a closed pool's transport. A new TLS context is built from the PEM files every
   * tenth of the certificate lifetime (at most 5 min), so a renewed certificate is in use long before the
   * old one expires.
   */
  public Map<String, Object> pekkoSettings() {
    Map<String, Object> m = new HashMap<>();
    if (!closed()) {
      return m;
    }
    TlsFiles f = tls.get();
    String engine = "pekko.remote.artery.ssl.rotating-keys-engine.";
    m.put("pekko.remote.artery.transport", "tls-tcp");
    m.put(engine + "key-file", f.key().toAbsolutePath().toString());
    m.put(engine + "cert-file", f.cert().toAbsolutePath().toString());
    m.put(engine + "ca-cert-file", f.ca().toAbsolutePath().toString());
    long ttl = Math.max(1000, Math.min(300_000, lifetime().toMillis() / 10));
    m.put(engine + "ssl-context-cache-ttl", ttl + "ms");
    // Untrusted mode: an admitted node cannot stop, kill or supervise another's actors (system messages,
    // PoisonPill) or select arbitrary actors by path; only the cluster's and Distributed Data's own
    // selection paths are let through. Remote death watch is lost with it, which otela does not use:
    // routing follows cluster membership, stream refs learn of a lost node from it (a removed member's
    // address is terminated locally) and of a cancelled or failed stream from their own messages
    // (faults/ClosedPoolFaultsTest: a crash mid-stream and a client hanging up, open and closed alike).
    m.put("pekko.remote.artery.untrusted-mode", "on");
    m.put("pekko.remote.artery.trusted-selection-paths", List.of("/system/cluster/core/daemon",
        "/system/cluster/heartbeatReceiver", "/system/ddataReplicator", "/system/receptionist/replicator"));
    return m;
  }

  /** The lifetime of this node's current certificate (a user's, with --tls.dir). */
  public Duration lifetime() {
    try {
      X509Certificate c = tls.get().readCert();
      return Duration.ofMillis(c.getNotAfter().getTime() - c.getNotBefore().getTime());
    } catch (IOException e) {
      return settings.certLifetime();
    }
  }
}
