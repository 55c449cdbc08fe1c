package org.opentela.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The shape of API keys and how they are checked. A key is {@code sk-otela-<id>-<secret>}: an 8-character
 * id (lower-case letters and digits) and 32 random bytes in base64url. Only SHA-256 of the secret is stored:
 * the secret has 256 bits of entropy, so a slow password hash would add CPU per request and no safety.
 * Hashes are compared in constant time ({@link MessageDigest#isEqual}), and an unknown id is compared
 * with a dummy hash so that a wrong id and a wrong secret take the same time.
 */
public final class KeySecrets {
  public static final String PREFIX = "sk-otela-";
  static final int ID_LENGTH = 8;
  private static final char[] ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(KeySecrets::sha256);
  private static final byte[] DUMMY = new byte[32];

  private KeySecrets() {}

  /** A presented key split into its id and secret; null parts when it does not have the shape. */
  record Parsed(String id, String secret) {
    static final Parsed NONE = new Parsed(null, null);

    boolean wellFormed() {
      return id != null;
    }
  }

  static String newId() {
    char[] c = new char[ID_LENGTH];
    for (int i = 0; i < c.length; i++) {
      c[i] = ID_CHARS[RANDOM.nextInt(ID_CHARS.length)];
    }
    return new String(c);
  }

  static String newSecret() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  static String format(String id, String secret) {
    return PREFIX + id + "-" + secret;
  }

  static Parsed parse(String key) {
    int idEnd = PREFIX.length() + ID_LENGTH;
    if (key == null || key.length() <= idEnd + 1 || !key.startsWith(PREFIX) || key.charAt(idEnd) != '-') {
      return Parsed.NONE;
    }
    return new Parsed(key.substring(PREFIX.length(), idEnd), key.substring(idEnd + 1));
  }

  /** Base64 of SHA-256 of {@code secret}: what a key record stores. */
  static String hash(String secret) {
    return Base64.getEncoder().encodeToString(digest(secret));
  }

  static byte[] digest(String secret) {
    MessageDigest md = SHA256.get();
    md.reset();
    return md.digest(secret.getBytes(StandardCharsets.UTF_8));
  }

  /** Whether {@code secret} hashes to {@code storedHash} (null: compare with a dummy, and answer false). */
  static boolean matches(String secret, String storedHash) {
    byte[] presented = digest(secret);
    if (storedHash == null) {
      MessageDigest.isEqual(presented, DUMMY);
      return false;
    }
    return MessageDigest.isEqual(presented, Base64.getDecoder().decode(storedHash));
  }

  /** Constant-time equality of two secrets of any length (their digests are compared). */
  static boolean sameSecret(String presented, byte[] expectedDigest) {
    return MessageDigest.isEqual(digest(presented), expectedDigest);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }
}
