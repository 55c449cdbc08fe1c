package org.opentela.trust;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import org.opentela.Json;
import org.opentela.identity.NodeIdentity;

/**
 * A node's side of enrolment and renewal, over the head's HTTP API (plain HTTP: nothing secret crosses it).
 *
 * <p>Enrolment pins the CA: the CA certificate the head sends must have the hash the join token carries,
 * so a machine in the middle cannot hand the node a CA of its own. The node's key is made here and never
 * leaves its data directory; the head only sees a certificate request.
 */
public final class Enrolment {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  private Enrolment() {}

  /** The head cannot be reached (yet): worth trying again. */
  public static final class Unreachable extends IOException {
    private static final long serialVersionUID = 1L;

    Unreachable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The head answered and will not enrol this node as it is: the message says why and what to do. */
  public static final class Refused extends IOException {
    private static final long serialVersionUID = 1L;
    /** True if the node asked holds no pool CA (another of the bootstrap addresses may). */
    public final boolean noCa;
    /** The error code the head answered with ({@code peer_revoked}, ...), or "" if it gave none. */
    public final String code;

    Refused(String message) {
      this(message, false, "");
    }

    Refused(String message, boolean noCa) {
      this(message, noCa, "");
    }

    Refused(String message, boolean noCa, String code) {
      super(message);
      this.noCa = noCa;
      this.code = code;
    }
  }

  /**
   * Enrols this node at the head whose API is {@code base} ({@code http://host:port}) and writes its key,
   * certificate and the CA certificate to {@code files}. An existing key is kept.
   */
  public static void enrol(URI base, JoinToken token, NodeIdentity identity, TlsFiles files) throws IOException {
    JsonNode caAnswer = call(base, "GET", "/v1/pool/ca", null);
    X509Certificate ca = Pem.certificate(caAnswer.path("ca").asText());
    byte[] pinned = Certificates.publicKeyHash(ca);
    if (!Arrays.equals(pinned, token.caHash())) {
      throw new Refused("the node at " + base + " presents a pool CA that this join token does not name (token pins "
          + hex(token.caHash()) + ", the node has " + hex(pinned) + "): a token of another pool, or a machine"
          + " pretending to be the head; refusing to enrol there");
    }
    KeyPair key = keyPair(files);
    String csr = Base64.getEncoder().encodeToString(Certificates.request(key, identity.peerId()));
    String transcript = Enroller.enrolTranscript(token.id(), identity.peerId(), csr);
    Enroller.EnrolRequest req = new Enroller.EnrolRequest(token.id(), identity.peerId(),
        Base64.getEncoder().encodeToString(identity.publicKey()), csr,
        Base64.getEncoder().encodeToString(token.proof(transcript)),
        Base64.getEncoder().encodeToString(identity.sign(transcript.getBytes(StandardCharsets.UTF_8))));
    store(call(base, "POST", "/v1/pool/enrol", req), ca, key, identity.peerId(), files);
  }

  /** Renews the certificate in {@code files} at the head whose API is {@code base}; the key stays the same. */
  public static X509Certificate renew(URI base, String peerId, TlsFiles files) throws IOException {
    X509Certificate current = files.readCert();
    X509Certificate ca = files.readCa();
    KeyPair key = new KeyPair(current.getPublicKey(), files.readKey());
    String csr = Base64.getEncoder().encodeToString(Certificates.request(key, peerId));
    byte[] signature = Certificates.sign(key.getPrivate(),
        Enroller.renewTranscript(peerId, csr).getBytes(StandardCharsets.UTF_8));
    Enroller.RenewRequest req;
    try {
      req = new Enroller.RenewRequest(peerId, Base64.getEncoder().encodeToString(current.getEncoded()), csr,
          Base64.getEncoder().encodeToString(signature));
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IOException(e);
    }
    return store(call(base, "POST", "/v1/pool/renew", req), ca, key, peerId, files);
  }

  /** The node's key: the one in its data directory (kept across enrolments, so its peer id stays its own), or a new one. */
  static KeyPair keyPair(TlsFiles files) throws IOException {
    if (Files.exists(files.key())) {
      return files.readKeyPair();
    }
    KeyPair k = Certificates.newNodeKey();
    Pem.write(files.key(), Pem.encode(k.getPrivate()), true);
    return k;
  }

  /** Checks what the head issued (the pinned CA signed it, for our key and peer id) and writes it. */
  private static X509Certificate store(JsonNode issued, X509Certificate ca, KeyPair key, String peerId, TlsFiles files)
      throws IOException {
    X509Certificate cert = Pem.certificate(issued.path("certificate").asText());
    if (!Certificates.signedBy(cert, ca) || !Arrays.equals(cert.getPublicKey().getEncoded(), key.getPublic().getEncoded())
        || !peerId.equals(Certificates.peerId(cert))) {
      throw new Refused("the head answered with a certificate that is not this node's, or not signed by the pinned"
          + " pool CA; refusing it");
    }
    Pem.write(files.ca(), Pem.encode(ca), false);
    Pem.write(files.cert(), Pem.encode(cert), false);
    return cert;
  }

  private static JsonNode call(URI base, String method, String path, Object body) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20));
    if (body == null) {
      b.GET();
    } else {
      b.header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(body)));
    }
    HttpResponse<String> r;
    try {
      r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new Unreachable(base + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unreachable(base + ": interrupted", e);
    }
    JsonNode json;
    try {
      json = Json.MAPPER.readTree(r.body());
    } catch (IOException e) {
      json = null;
    }
    if (r.statusCode() == 200 && json != null) {
      return json;
    }
    if (r.statusCode() == 404 && path.equals("/v1/pool/ca")) {
      throw new Refused("the node at " + base + " is not the head of a closed pool (it has no pool CA): start the"
          + " head with --pool.secure, or check --bootstrap.addr and --bootstrap.api-port", true);
    }
    String message = json == null ? r.body() : json.path("error").path("message").asText(r.body());
    if (r.statusCode() >= 500) {
      throw new Unreachable(base + path + " answered " + r.statusCode() + ": " + message, null);
    }
    throw new Refused("the head refused this node (" + r.statusCode() + "): " + message, false,
        json == null ? "" : json.path("error").path("code").asText(""));
  }

  private static String hex(byte[] hash) {
    return java.util.HexFormat.of().formatHex(hash, 0, 8) + "…";
  }
}
