package org.opentela.trust;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.remote.artery.tcp.SSLEngineProvider;
import org.apache.pekko.remote.artery.tcp.SslTransportException;
import org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider;
import scala.Option;

/**
 * The TLS engine of a closed pool's cluster transport: Pekko's {@link RotatingKeysSSLEngineProvider}
 * (mutual authentication, TLS 1.3, PEM files re-read so renewed certificates are used, peers must share
 * a subject name) plus two checks after each handshake, on both sides: the peer's certificate must name
 * a peer id, and that peer id must not be on the pool's deny list. A revoked node can therefore not even
 * reconnect while its certificate is still valid.
 */
public final class PoolSslEngineProvider implements SSLEngineProvider {
  private final RotatingKeysSSLEngineProvider pekko;
  private final DenyList denied;

  public PoolSslEngineProvider(ActorSystem system, DenyList denied) {
    this.pekko = new RotatingKeysSSLEngineProvider(system);
    this.denied = denied;
  }

  @Override
  public SSLEngine createServerSSLEngine(String hostname, int port) {
    return pekko.createServerSSLEngine(hostname, port);
  }

  @Override
  public SSLEngine createClientSSLEngine(String hostname, int port) {
    return pekko.createClientSSLEngine(hostname, port);
  }

  @Override
  public Option<Throwable> verifyClientSession(String hostname, SSLSession session) {
    Option<Throwable> pekkoVerdict = pekko.verifyClientSession(hostname, session);
    return pekkoVerdict.isDefined() ? pekkoVerdict : admitted(session);
  }

  @Override
  public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
    Option<Throwable> pekkoVerdict = pekko.verifyServerSession(hostname, session);
    return pekkoVerdict.isDefined() ? pekkoVerdict : admitted(session);
  }

  private Option<Throwable> admitted(SSLSession session) {
    try {
      if (!(session.getPeerCertificates()[0] instanceof java.security.cert.X509Certificate cert)) {
        return Option.apply(new SslTransportException("the peer's certificate is not X.509", null));
      }
      String peerId = Certificates.peerId(cert);
      if (peerId == null) {
        return Option.apply(new SslTransportException("the peer's certificate names no peer id ("
            + cert.getSubjectX500Principal() + ")", null));
      }
      if (denied.contains(peerId)) {
        return Option.apply(new SslTransportException("peer " + peerId + " was revoked from this pool", null));
      }
      return Option.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Option.apply(e);
    }
  }
}
