import ConformCertificates
import ConformRuntime
import ConformSecurity
import ConformWire

/// Certificates made at test time for one service and the principals that call it.
struct ServicePKI: Sendable {
    let authority: DevelopmentCA
    let caPEM: String
    let service: ServiceTLS
    /// Each service's own certificate, by service name, for services that call each other.
    let services: [String: ServiceTLS]
    private let principals: [String: ServiceTLS]
    /// A certificate from a CA the service does not trust.
    let stranger: ServiceTLS

    static let names: [(String, [Role], String?)] = [
        ("quality-engineer", [.qualityEngineer], nil),
        ("quality-manager", [.qualityManager], nil),
        ("deputy-quality-manager", [.qualityManager], nil),
        ("inspector", [.inspector], nil),
        ("operator", [.operator], nil),
        ("auditor", [.auditor], nil),
        ("admin", [.admin], nil),
        ("reporting", [.service], nil),
        ("customer-a-auditor", [.customerAuditor], "A"),
        ("customer-d-auditor", [.customerAuditor], "D"),
    ]

    init(service name: String = "requirement") throws {
        let authority = try DevelopmentCA(commonName: "Conform Service Test CA")
        let caPEM = try authority.certificatePEM
        func tls(_ issued: IssuedCertificate) throws -> ServiceTLS {
            ServiceTLS(certificateChainPEM: try issued.certificatePEM, privateKeyPEM: issued.privateKeyPEM, trustRootsPEM: caPEM)
        }
        self.authority = authority
        self.caPEM = caPEM
        self.service = try tls(
            authority.issue(
                commonName: name,
                organizationalUnits: PrincipalAttributes.organizationalUnits(roles: [.service], customer: nil),
                dnsNames: ["localhost"],
                ipAddresses: ["127.0.0.1"],
                usage: .service
            )
        )
        var services: [String: ServiceTLS] = [name: self.service]
        for other in ["requirement", "batch", "evidence", "supplier", "reporting"] where other != name {
            services[other] = try tls(
                authority.issue(
                    commonName: other,
                    organizationalUnits: PrincipalAttributes.organizationalUnits(roles: [.service], customer: nil),
                    dnsNames: ["localhost"],
                    ipAddresses: ["127.0.0.1"],
                    usage: .service
                )
            )
        }
        self.services = services
        var principals: [String: ServiceTLS] = [:]
        for (principal, roles, customer) in Self.names {
            principals[principal] = try tls(
                authority.issue(
                    commonName: principal,
                    organizationalUnits: PrincipalAttributes.organizationalUnits(roles: roles, customer: customer),
                    usage: .client
                )
            )
        }
        self.principals = principals
        let other = try DevelopmentCA(commonName: "Some Other CA")
        let strangerCertificate = try other.issue(
            commonName: "mallory",
            organizationalUnits: PrincipalAttributes.organizationalUnits(roles: [.admin], customer: nil),
            usage: .client
        )
        self.stranger = ServiceTLS(
            certificateChainPEM: try strangerCertificate.certificatePEM,
            privateKeyPEM: strangerCertificate.privateKeyPEM,
            trustRootsPEM: caPEM
        )
    }

    /// One PKI for the whole run: key generation is the slow part.
    static func shared() throws -> ServicePKI { try cached.get() }
    private static let cached = Result { try ServicePKI() }

    func principal(_ name: String) -> ServiceTLS {
        guard let tls = self.principals[name] else { preconditionFailure("no test principal '\(name)'") }
        return tls
    }

    /// Trusts the service but presents no certificate.
    func anonymous() throws -> WireClientTLS {
        var tls = try self.principal("quality-engineer").wireClient()
        tls.certificateChain = []
        tls.privateKey = nil
        return tls
    }
}
