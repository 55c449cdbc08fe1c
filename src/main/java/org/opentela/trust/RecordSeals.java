package org.opentela.trust;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.opentela.identity.NodeIdentity;
import org.opentela.identity.PeerId;
import org.opentela.table.NodeRecord;
import org.opentela.table.RecordSeal;
import org.opentela.table.SignedRecord;

/** The two {@link RecordSeal}s: by node key (open pools) and by pool certificate (closed pools). */
public final class RecordSeals {
  private RecordSeals() {}

  /** Open pool: the node's Ed25519 key signs; the record's {@code owner} must be the key of its peer id. */
  public static RecordSeal byNodeKey(NodeIdentity identity) {
    return new RecordSeal() {
      @Override
      public SignedRecord seal(NodeRecord record) {
        byte[] bytes = SignedRecord.encode(record);
        return new SignedRecord(bytes, identity.sign(bytes), null);
      }

      @Override
      public Opened open(String peerId, SignedRecord sealed) {
        NodeRecord r;
        try {
          r = sealed.decode();
        } catch (IOException e) {
          return Opened.rejected("unreadable record");
        }
        byte[] owner;
        try {
          owner = Base64.getDecoder().decode(r.owner() == null ? "" : r.owner());
        } catch (IllegalArgumentException e) {
          return Opened.rejected("its owner key is not base64");
        }
        if (owner.length != 32 || !PeerId.fromPublicKey(owner).equals(peerId) || !peerId.equals(r.id())) {
          return Opened.rejected("its owner key is not the key of peer " + peerId);
        }
        if (!NodeIdentity.verify(owner, sealed.record(), sealed.signature())) {
          return Opened.rejected("its signature does not match peer " + peerId + "'s key");
        }
        return new Opened(r, null);
      }
    };
  }

  /** Closed pool: the key of this node's certificate signs, and the certificate travels with the record. */
  public static RecordSeal byCertificate(PrivateKey key, X509Certificate cert, X509Certificate ca) {
    return new CertificateSeal(key, cert, ca);
  }

  private static final class CertificateSeal implements RecordSeal {
    private static final int CACHE_LIMIT = 4096;
    private final PrivateKey key;
    private final byte[] certDer;
    private final X509Certificate ca;
    /** Certificates already checked against the CA, by their bytes: records change, certificates rarely. */
    private final Map<ByteBuffer, X509Certificate> checked = new HashMap<>();

    CertificateSeal(PrivateKey key, X509Certificate cert, X509Certificate ca) {
      this.key = key;
      this.ca = ca;
      try {
        this.certDer = cert.getEncoded();
      } catch (CertificateEncodingException e) {
        throw new IllegalArgumentException("unusable node certificate", e);
      }
    }

    @Override
    public SignedRecord seal(NodeRecord record) {
      byte[] bytes = SignedRecord.encode(record);
      return new SignedRecord(bytes, Certificates.sign(key, bytes), certDer);
    }

    @Override
    public Opened open(String peerId, SignedRecord sealed) {
      if (sealed.certificate().length == 0) {
        return Opened.rejected("it carries no pool certificate (written by a node outside this closed pool)");
      }
      X509Certificate cert = certificate(sealed.certificate());
      if (cert == null) {
        return Opened.rejected("its certificate was not issued by this pool's CA");
      }
      if (!peerId.equals(Certificates.peerId(cert))) {
        return Opened.rejected("it is signed with the certificate of peer " + Certificates.peerId(cert)
            + ", not of " + peerId);
      }
      if (!Certificates.verify(cert.getPublicKey(), sealed.record(), sealed.signature())) {
        return Opened.rejected("its signature does not match its certificate");
      }
      NodeRecord r;
      try {
        r = sealed.decode();
      } catch (IOException e) {
        return Opened.rejected("unreadable record");
      }
      return peerId.equals(r.id()) ? new Opened(r, null)
          : Opened.rejected("it is stored under " + peerId + " but names " + r.id());
    }

    /** Only a single actor (the table keeper) opens records, so the cache needs no lock. */
    private X509Certificate certificate(byte[] der) {
      ByteBuffer k = ByteBuffer.wrap(der);
      X509Certificate known = checked.get(k);
      if (known != null) {
        return known;
      }
      try {
        X509Certificate cert = Pem.certificate(der);
        if (!Certificates.signedBy(cert, ca)) {
          return null;
        }
        if (checked.size() >= CACHE_LIMIT) {
          checked.clear();
        }
        checked.put(k, cert);
        return cert;
      } catch (IOException e) {
        return null;
      }
    }
  }
}
