package org.opentela.trust;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.opentela.ApiError;
import org.opentela.identity.NodeIdentity;
import org.opentela.identity.PeerId;

/**
 * The head's side of enrolment and renewal: checks a request and has the pool CA certify the node's key.
 *
 * <p>Enrolment: the worker proves it holds the current join token with an HMAC over the request (the
 * secret itself never crosses the network), and that it holds its peer id's node key with a signature
 * over the same text. Renewal: the worker signs the request with the key of its current, still valid
 * certificate; the token is not needed, so rotating the token never cuts off admitted nodes. A revoked
 * peer id gets neither.
 */
public final class Enroller {
  /** A worker's enrolment: every binary field is base64. */
  public record EnrolRequest(String tokenId, String peerId, String identityKey, String csr, String proof,
      String identitySignature) {}

  /** A node's renewal: its current certificate (DER), a new request, and a signature by the current key. */
  public record RenewRequest(String peerId, String certificate, String csr, String signature) {}

  /** The answer to both: the node certificate and the CA certificate, PEM. */
  public record Issued(String certificate, String ca) {}

  /** Why a request was refused: an entry of the error catalogue, with what to do. */
  public static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    public final transient ApiError.Problem problem;

    Refusal(ApiError.Problem problem) {
      super(problem.message());
      this.problem = problem;
    }
  }

  private final PoolCa ca;
  private final PoolDir pool;
  private final Duration lifetime;

  public Enroller(PoolCa ca, PoolDir pool, Duration lifetime) {
    this.ca = ca;
    this.pool = pool;
    this.lifetime = lifetime;
  }

  public PoolCa ca() {
    return ca;
  }

  /** The text both proofs of an enrolment sign. */
  public static String enrolTranscript(String tokenId, String peerId, String csr) {
    return "otela-enrol-v1\n" + tokenId + "\n" + peerId + "\n" + csr;
  }

  /** The text a renewal's signature covers. */
  public static String renewTranscript(String peerId, String csr) {
    return "otela-renew-v1\n" + peerId + "\n" + csr;
  }

  public Issued enrol(EnrolRequest r) throws Refusal, IOException {
    require(r.tokenId(), "token_id");
    String peerId = peerId(r.peerId());
    JoinToken current = pool.token();
    String transcript = enrolTranscript(r.tokenId(), peerId, require(r.csr(), "csr"));
    if (!r.tokenId().equals(current.id())) {
      throw new Refusal(ApiError.JOIN_TOKEN_ROTATED.with(r.tokenId()));
    }
    if (!current.accepts(transcript, bytes(r.proof(), "proof"))) {
      throw new Refusal(ApiError.JOIN_TOKEN_REJECTED.with("wrong join token: the proof does not match the pool's current token"));
    }
    byte[] identityKey = bytes(r.identityKey(), "identity_key");
    if (identityKey.length != 32 || !PeerId.fromPublicKey(identityKey).equals(peerId)
        || !NodeIdentity.verify(identityKey, transcript.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            bytes(r.identitySignature(), "identity_signature"))) {
      throw new Refusal(ApiError.JOIN_TOKEN_REJECTED.with("the request is not signed by the node key of peer "
          + peerId));
    }
    return issue(peerId, csrKey(r.csr()));
  }

  public Issued renew(RenewRequest r) throws Refusal, IOException {
    String peerId = peerId(r.peerId());
    X509Certificate current;
    try {
      current = Pem.certificate(bytes(r.certificate(), "certificate"));
    } catch (IOException e) {
      throw new Refusal(ApiError.INVALID_ENROLMENT_REQUEST.with("certificate: " + e.getMessage()));
    }
    if (!Certificates.signedBy(current, ca.certificate()) || !peerId.equals(Certificates.peerId(current))) {
      throw new Refusal(ApiError.CERTIFICATE_REJECTED.with("the certificate was not issued by this pool's CA for"
          + " peer " + peerId + "; join again with the pool's join token"));
    }
    try {
      current.checkValidity();
    } catch (CertificateExpiredException | CertificateNotYetValidException e) {
      throw new Refusal(ApiError.CERTIFICATE_REJECTED.with("the certificate has expired (" + current.getNotAfter()
          + "); a node whose certificate expired joins again with the pool's join token"));
    }
    String transcript = renewTranscript(peerId, require(r.csr(), "csr"));
    if (!Certificates.verify(current.getPublicKey(), transcript.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        bytes(r.signature(), "signature"))) {
      throw new Refusal(ApiError.CERTIFICATE_REJECTED.with("the renewal is not signed by the certificate's key"));
    }
    PublicKey key = csrKey(r.csr());
    if (!Arrays.equals(key.getEncoded(), current.getPublicKey().getEncoded())) {
      throw new Refusal(ApiError.INVALID_ENROLMENT_REQUEST.with(
          "a renewal keeps the node's key (the request names another)"));
    }
    return issue(peerId, key);
  }

  private Issued issue(String peerId, PublicKey key) throws Refusal, IOException {
    if (pool.revoked().contains(peerId)) {
      throw new Refusal(ApiError.PEER_REVOKED.with(peerId));
    }
    try {
      X509Certificate cert = ca.issue(key, peerId, lifetime);
      return new Issued(Pem.encode(cert), Pem.encode(ca.certificate()));
    } catch (PoolCa.Refused e) {
      throw new Refusal(ApiError.PEER_ID_TAKEN.with(peerId));
    }
  }

  private static PublicKey csrKey(String csr) throws Refusal {
    PublicKey key;
    try {
      key = Certificates.verifiedKey(new PKCS10CertificationRequest(bytes(csr, "csr")));
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      throw new Refusal(ApiError.INVALID_ENROLMENT_REQUEST.with("csr: " + e.getMessage()));
    }
    if (!key.getAlgorithm().equals("RSA") || ((java.security.interfaces.RSAPublicKey) key).getModulus().bitLength() < 2048) {
      throw new Refusal(ApiError.INVALID_ENROLMENT_REQUEST.with("csr: the key must be RSA of at least 2048 bits"));
    }
    return key;
  }

  private static String peerId(String peerId) throws Refusal {
    String problem = PeerId.problem(peerId);
    if (problem != null) {
      throw new Refusal(ApiError.INVALID_ENROLMENT_REQUEST.with("peer_id: " + problem));
    }
    return peerId;
  }

  private static String require(String value, String field) throws Refusal {
    if (value == null || value.isEmpty()) {
      throw new Refusal(ApiError.INVALID_ENROLMENT_REQUEST.with(field + ": missing"));
    }
    return value;
  }

  private static byte[] bytes(String value, String field) throws Refusal {
    try {
      return Base64.getDecoder().decode(require(value, field));
    } catch (IllegalArgumentException e) {
      throw new Refusal(ApiError.INVALID_ENROLMENT_REQUEST.with(field + ": not base64"));
    }
  }
}
