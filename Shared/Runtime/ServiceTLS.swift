public import ConformWire
public import GRPCNIOTransportHTTP2
public import NIOSSL

/// A service's TLS identity and the roots it trusts, as PEM, usable by both transports.
public struct ServiceTLS: Sendable {
    /// The service's certificate, then any intermediates.
    public var certificateChainPEM: String
    public var privateKeyPEM: String
    /// Roots that peers' certificates must chain to (the deployment's CA).
    public var trustRootsPEM: String

    public init(certificateChainPEM: String, privateKeyPEM: String, trustRootsPEM: String) {
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
        self.trustRootsPEM = trustRootsPEM
    }

    /// Server side of the Conform wire: a client certificate that chains to the trust roots
    /// is required during the handshake.
    public func wireServer() throws -> WireServerTLS {
        WireServerTLS(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(self.certificateChainPEM.utf8)),
            privateKey: try NIOSSLPrivateKey(bytes: Array(self.privateKeyPEM.utf8), format: .pem),
            clientTrustRoots: try NIOSSLCertificate.fromPEMBytes(Array(self.trustRootsPEM.utf8))
        )
    }

    /// Client side of the Conform wire, presenting this identity.
    public func wireClient(serverHostname: String? = nil) throws -> WireClientTLS {
        WireClientTLS(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(self.certificateChainPEM.utf8)),
            privateKey: try NIOSSLPrivateKey(bytes: Array(self.privateKeyPEM.utf8), format: .pem),
            serverTrustRoots: try NIOSSLCertificate.fromPEMBytes(Array(self.trustRootsPEM.utf8)),
            serverHostname: serverHostname
        )
    }

    /// Server side of standard gRPC over HTTP/2: the same mutual TLS, TLS 1.2 at least.
    public func http2Server() -> HTTP2ServerTransport.Posix.TransportSecurity {
        .mTLS(
            certificateChain: [.bytes(Array(self.certificateChainPEM.utf8), format: .pem)],
            privateKey: .bytes(Array(self.privateKeyPEM.utf8), format: .pem)
        ) { config in
            config.trustRoots = .certificates([.bytes(Array(self.trustRootsPEM.utf8), format: .pem)])
            config.clientCertificateVerification = .noHostnameVerification
        }
    }

    /// Client side of standard gRPC over HTTP/2, presenting this identity.
    public func http2Client() -> HTTP2ClientTransport.Posix.TransportSecurity {
        .mTLS(
            certificateChain: [.bytes(Array(self.certificateChainPEM.utf8), format: .pem)],
            privateKey: .bytes(Array(self.privateKeyPEM.utf8), format: .pem)
        ) { config in
            config.trustRoots = .certificates([.bytes(Array(self.trustRootsPEM.utf8), format: .pem)])
        }
    }
}
