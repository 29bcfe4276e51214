public import ConformWire
public import GRPCCore
public import GRPCNIOTransportHTTP2
public import X509

/// The caller's verified certificate, whichever transport carried the call.
public enum PeerIdentity {
    /// The client certificate verified during the TLS handshake, if the caller sent one.
    public static func certificate(of context: ServerContext) -> Certificate? {
        switch context.transportSpecific {
        case let wire as WirePeerContext:
            return wire.peerCertificate
        case let http2 as HTTP2ServerTransport.Posix.Context:
            return http2.peerCertificate
                ?? AuthenticatedPeers.certificate(local: context.localPeer, remote: context.remotePeer)
        default:
            return nil
        }
    }

    /// The certificate subject's common name, the principal's name in Conform.
    public static func commonName(of context: ServerContext) -> String? {
        guard let certificate = self.certificate(of: context) else { return nil }
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value) ?? String(describing: attribute.value)
            }
        }
        return nil
    }
}
