import ConformCertificates
import ConformRuntime
import ConformWire
import NIOSSL

/// Certificates made at test time: a CA, a server, a trusted client, and a client of
/// another CA. Nothing private is ever written to disk.
struct TestPKI: Sendable {
    let authority: DevelopmentCA
    let server: ServiceTLS
    let client: ServiceTLS
    /// Trusted like alice, but a different principal.
    let otherClient: ServiceTLS
    let strangerClient: ServiceTLS

    init() throws {
        let authority = try DevelopmentCA(commonName: "Conform Test CA")
        let stranger = try DevelopmentCA(commonName: "Some Other CA")
        let caPEM = try authority.certificatePEM
        func tls(_ issued: IssuedCertificate, trust: String) throws -> ServiceTLS {
            ServiceTLS(certificateChainPEM: try issued.certificatePEM, privateKeyPEM: issued.privateKeyPEM, trustRootsPEM: trust)
        }
        self.authority = authority
        self.server = try tls(
            authority.issue(commonName: "probe-service", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .service),
            trust: caPEM
        )
        self.client = try tls(authority.issue(commonName: "alice", usage: .client), trust: caPEM)
        self.otherClient = try tls(authority.issue(commonName: "bob", usage: .client), trust: caPEM)
        // Trusts the right server CA, but presents a certificate our server must refuse.
        self.strangerClient = try tls(stranger.issue(commonName: "mallory", usage: .client), trust: caPEM)
    }

    /// One PKI for the whole test run: key generation is the slow part.
    static func shared() throws -> TestPKI {
        try cached.get()
    }

    private static let cached = Result { try TestPKI() }

    /// A wire client TLS that trusts the server but presents no certificate.
    func anonymousClient() throws -> WireClientTLS {
        var tls = try self.client.wireClient()
        tls.certificateChain = []
        tls.privateKey = nil
        return tls
    }
}
