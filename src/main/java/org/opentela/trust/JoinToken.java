package org.opentela.trust;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a worker needs to join a closed pool, in one string: {@code otela1.<id>.<secret>.<ca hash>}.
 *
 * <p>The CA hash (SHA-256 of the pool CA's public key) lets the worker pin the CA it enrols with, as
 * kubeadm's {@code --discovery-token-ca-cert-hash} does; the secret never leaves the worker: it proves it
 * holds it with an HMAC over its certificate request ({@link #proof}). The id says which token a proof
 * was made with, so a rotated token gets a clear refusal.
 */
public record JoinToken(String id, byte[] secret, byte[] caHash) {
  private static final String PREFIX = "otela1.";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  public static JoinToken generate(byte[] caHash) {
    SecureRandom random = new SecureRandom();
    byte[] id = new byte[4];
    byte[] secret = new byte[32];
    random.nextBytes(id);
    random.nextBytes(secret);
    return new JoinToken(HexFormat.of().formatHex(id), secret, caHash.clone());
  }

  /** Parses a token as printed by {@link #toString()}; the message of the exception says what is wrong. */
  public static JoinToken parse(String text) {
    String t = text == null ? "" : text.trim();
    String[] parts = t.startsWith(PREFIX) ? t.substring(PREFIX.length()).split("\\.", -1) : new String[0];
    if (parts.length != 3) {
      throw new IllegalArgumentException("not an otela join token (expected: otela1.<id>.<secret>.<ca hash>, as"
          + " printed by 'otela token show' on the head)");
    }
    try {
      byte[] secret = Base64.getUrlDecoder().decode(parts[1]);
      byte[] caHash = Base64.getUrlDecoder().decode(parts[2]);
      if (!parts[0].matches("[0-9a-f]{8}") || secret.length != 32 || caHash.length != 32) {
        throw new IllegalArgumentException("wrong length");
      }
      return new JoinToken(parts[0], secret, caHash);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a damaged join token (" + e.getMessage() + "); copy it again from"
          + " 'otela token show' on the head", e);
    }
  }

  /** HMAC-SHA256 of {@code transcript} under the secret. */
  public byte[] proof(String transcript) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac.doFinal(transcript.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required by every Java platform", e);
    }
  }

  /** Constant-time check of a proof made with {@link #proof}. */
  public boolean accepts(String transcript, byte[] proof) {
    return proof != null && MessageDigest.isEqual(proof(transcript), proof);
  }

  @Override
  public String toString() {
    return PREFIX + id + "." + B64.encodeToString(secret) + "." + B64.encodeToString(caHash);
  }
}
