public import NIOSSL

/// TLS settings for a Conform wire server: its identity, and whose clients it accepts.
public struct WireServerTLS: Sendable {
    public var certificateChain: [NIOSSLCertificate]
    public var privateKey: NIOSSLPrivateKey
    /// Certificate authorities whose client certificates are accepted. A client must present
    /// one that chains to them; without, the handshake fails, as on the HTTP/2 port.
    public var clientTrustRoots: [NIOSSLCertificate]

    public init(
        certificateChain: [NIOSSLCertificate],
        privateKey: NIOSSLPrivateKey,
        clientTrustRoots: [NIOSSLCertificate]
    ) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.clientTrustRoots = clientTrustRoots
    }

    /// TLS 1.2 at least (1.3 is negotiated whenever the client offers it).
    public func makeConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: self.certificateChain.map { .certificate($0) },
            privateKey: .privateKey(self.privateKey)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.trustRoots = .certificates(self.clientTrustRoots)
        // Clients have no host name to check; their chain to a trusted root is what counts.
        configuration.certificateVerification = .noHostnameVerification
        return configuration
    }
}

/// TLS settings for a Conform wire client: whom it trusts, and who it is.
public struct WireClientTLS: Sendable {
    /// The client's own certificate and key, presented for mutual TLS.
    public var certificateChain: [NIOSSLCertificate]
    public var privateKey: NIOSSLPrivateKey?
    /// Certificate authorities the server's certificate must chain to.
    public var serverTrustRoots: [NIOSSLCertificate]
    /// The name the server's certificate must carry; the target host when nil.
    public var serverHostname: String?

    public init(
        certificateChain: [NIOSSLCertificate],
        privateKey: NIOSSLPrivateKey?,
        serverTrustRoots: [NIOSSLCertificate],
        serverHostname: String? = nil
    ) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.serverTrustRoots = serverTrustRoots
        self.serverHostname = serverHostname
    }

    public func makeConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.trustRoots = .certificates(self.serverTrustRoots)
        configuration.certificateVerification = .fullVerification
        configuration.certificateChain = self.certificateChain.map { .certificate($0) }
        configuration.privateKey = self.privateKey.map { .privateKey($0) }
        return configuration
    }
}
