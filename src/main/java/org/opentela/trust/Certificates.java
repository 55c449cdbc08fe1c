package org.opentela.trust;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Keys, certificate requests and certificates of a closed pool, and what a certificate says.
 *
 * <p>Node keys are RSA 2048: Pekko's rotating-keys TLS engine reads RSA keys only (its PEM loader). The
 * pool CA key is ECDSA P-256 (small, fast signatures; TLS 1.3 accepts it in the chain). A node
 * certificate names its peer id twice: as its subject CN and as the URI {@code otela:peer:<peer id>};
 * and it carries the DNS name {@code pool-<16 hex of the CA hash>.otela}, shared by every node of the
 * pool, because Pekko's engine only accepts a peer whose certificate shares a subject name with its own.
 */
public final class Certificates {
  static final String PEER_URI_PREFIX = "otela:peer:";
  private static final SecureRandom RANDOM = new SecureRandom();

  private Certificates() {}

  public static KeyPair newNodeKey() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048, RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA is required by every Java platform", e);
    }
  }

  static KeyPair newCaKey() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is required by every Java platform", e);
    }
  }

  /** SHA-256 of the certificate's SubjectPublicKeyInfo: what a join token pins (as kubeadm does). */
  public static byte[] publicKeyHash(X509Certificate cert) {
    return sha256(cert.getPublicKey().getEncoded());
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /** The DNS name every node certificate of the pool with this CA carries. */
  public static String poolName(byte[] caHash) {
    return "pool-" + HexFormat.of().formatHex(caHash, 0, 8) + ".otela";
  }

  static X509Certificate selfSignedCa(KeyPair key, String name, Duration lifetime) {
    try {
      Instant now = Instant.now();
      X500Name subject = new X500Name("CN=" + name + ",O=otela");
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(lifetime)), subject, key.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key.getPublic()));
      return sign(b, key.getPrivate());
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("could not create the pool CA certificate", e);
    }
  }

  /** A node certificate for {@code peerId} and {@code key}, signed by the CA, valid for {@code lifetime}. */
  static X509Certificate issue(X509Certificate ca, PrivateKey caKey, PublicKey key, String peerId, Duration lifetime) {
    try {
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial(),
          // Back-dated a little (a tenth of the lifetime, at most a minute): a node whose clock is a little
          // behind the CA's still accepts it at once.
          Date.from(now.minus(min(Duration.ofMinutes(1), lifetime.dividedBy(10)))), Date.from(now.plus(lifetime)),
          new X500Name("CN=" + peerId + ",O=otela"), key);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.dNSName, poolName(publicKeyHash(ca))),
          new GeneralName(GeneralName.uniformResourceIdentifier, PEER_URI_PREFIX + peerId)}));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
      return sign(b, caKey);
    } catch (GeneralSecurityException | CertIOException e) {
      throw new IllegalStateException("could not issue a certificate for " + peerId, e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(b.build(
          new JcaContentSignerBuilder(signatureAlgorithm(key.getAlgorithm())).build(key)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) < 0 ? a : b;
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  /** The JCA signature algorithm for keys of {@code keyAlgorithm}. */
  static String signatureAlgorithm(String keyAlgorithm) {
    return switch (keyAlgorithm) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> throw new IllegalArgumentException("key algorithm " + keyAlgorithm + " (expected: RSA, EC or Ed25519)");
    };
  }

  public static byte[] sign(PrivateKey key, byte[] data) {
    try {
      Signature s = Signature.getInstance(signatureAlgorithm(key.getAlgorithm()));
      s.initSign(key);
      s.update(data);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing with a " + key.getAlgorithm() + " key failed", e);
    }
  }

  public static boolean verify(PublicKey key, byte[] data, byte[] signature) {
    try {
      Signature s = Signature.getInstance(signatureAlgorithm(key.getAlgorithm()));
      s.initVerify(key);
      s.update(data);
      return s.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /** A certificate request (PKCS#10, DER) for {@code key}, naming {@code peerId}. */
  public static byte[] request(KeyPair key, String peerId) {
    try {
      return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + peerId + ",O=otela"), key.getPublic())
          .build(new JcaContentSignerBuilder(signatureAlgorithm(key.getPublic().getAlgorithm())).build(key.getPrivate()))
          .getEncoded();
    } catch (OperatorCreationException | IOException e) {
      throw new IllegalStateException("could not build a certificate request", e);
    }
  }

  /** The request's public key, if its self-signature holds; else an exception saying why. */
  static PublicKey verifiedKey(PKCS10CertificationRequest csr) throws GeneralSecurityException {
    try {
      SubjectPublicKeyInfo info = csr.getSubjectPublicKeyInfo();
      PublicKey key = new org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter().getPublicKey(info);
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key))) {
        throw new GeneralSecurityException("the certificate request's signature does not match its key");
      }
      return key;
    } catch (OperatorCreationException | PKCSException | IOException e) {
      throw new GeneralSecurityException("unreadable certificate request: " + e.getMessage(), e);
    }
  }

  /** True if {@code cert} was signed by {@code ca}'s key (validity dates are not checked here). */
  public static boolean signedBy(X509Certificate cert, X509Certificate ca) {
    try {
      cert.verify(ca.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /**
   * The peer id a certificate names: the URI {@code otela:peer:<id>} among its alternative names, else its
   * subject CN if that looks like a peer id; null if it names none.
   */
  public static String peerId(X509Certificate cert) {
    try {
      Collection<List<?>> names = cert.getSubjectAlternativeNames();
      if (names != null) {
        for (List<?> n : names) {
          if (n.size() == 2 && Integer.valueOf(GeneralName.uniformResourceIdentifier).equals(n.get(0))
              && n.get(1) instanceof String uri && uri.startsWith(PEER_URI_PREFIX)) {
            return uri.substring(PEER_URI_PREFIX.length());
          }
        }
      }
    } catch (CertificateParsingException e) {
      return null;
    }
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN") && rdn.getValue() instanceof String cn
            && org.opentela.identity.PeerId.problem(cn) == null) {
          return cn;
        }
      }
    } catch (InvalidNameException e) {
      return null;
    }
    return null;
  }
}
