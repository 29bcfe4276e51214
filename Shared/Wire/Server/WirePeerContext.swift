public import GRPCCore
public import X509

/// What the Conform wire transport tells a server handler about its caller, in
/// `ServerContext.transportSpecific`.
public struct WirePeerContext: ServerContext.TransportSpecific {
    /// The client's certificate, verified against the server's trust roots during the
    /// TLS handshake. Authentication and authorization build on it.
    public var peerCertificate: Certificate?

    public init(peerCertificate: Certificate?) {
        self.peerCertificate = peerCertificate
    }
}
