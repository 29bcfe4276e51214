public import X509

/// Who is calling: the subject of the client certificate verified during the TLS handshake.
///
/// The deployment's CA binds roles and customer scope into the certificate's subject:
/// `CN=<name>`, one `OU=role:<role>` per role, and at most one `OU=customer:<code>` for a
/// principal acting for one customer. No other source (metadata, tokens) is trusted.
public struct Principal: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var roles: Set<Role>
    /// The customer this principal acts for; nil for the supplier's own people and services.
    public var customerScope: String?

    public init(name: String, roles: Set<Role>, customerScope: String? = nil) {
        self.name = name
        self.roles = roles
        self.customerScope = customerScope
    }

    /// Reads the principal from a verified certificate's subject.
    public init(certificate: Certificate) throws {
        var name: String?
        var roles = Set<Role>()
        var customers: [String] = []
        for rdn in certificate.subject {
            for attribute in rdn {
                // The value itself, not its RFC 4514 escaped form ("Park, Jo", not "Park\\, Jo").
                guard let value = String(attribute.value) else { continue }
                if attribute.type == .RDNAttributeType.commonName {
                    name = value
                } else if attribute.type == .RDNAttributeType.organizationalUnitName {
                    if let role = value.dropPrefix(PrincipalAttributes.rolePrefix) {
                        roles.insert(Role(rawValue: role))
                    } else if let customer = value.dropPrefix(PrincipalAttributes.customerPrefix) {
                        customers.append(customer)
                    }
                }
            }
        }
        guard let name, !name.isEmpty else {
            throw PrincipalError("the client certificate has no common name (CN) to name the principal")
        }
        guard customers.count <= 1 else {
            throw PrincipalError("the certificate of '\(name)' names \(customers.count) customers; a principal acts for at most one")
        }
        let scoped = roles.intersection(Role.customerScoped)
        if customers.isEmpty, let role = scoped.sorted().first {
            throw PrincipalError("the certificate of '\(name)' has role '\(role)', which needs a customer scope (OU=customer:CODE)")
        }
        // Only customer roles are checked against the scope object by object; any other role
        // would let a customer's principal see every customer.
        if let customer = customers.first, let role = roles.subtracting(Role.customerScoped).sorted().first {
            throw PrincipalError(
                "the certificate of '\(name)' acts for customer \(customer) but has role '\(role)'; a customer's principal may hold only customer-auditor or partner-portal"
            )
        }
        self.init(name: name, roles: roles, customerScope: customers.first)
    }

    /// Whether this principal may see or act on the data of customer `code`.
    public func mayAccess(customer code: String) -> Bool {
        guard let scope = self.customerScope else { return true }
        return scope.caseInsensitiveCompare(code) == .orderedSame
    }

    public var description: String {
        let scope = self.customerScope.map { " for customer \($0)" } ?? ""
        return "\(self.name) (\(self.roles.sorted().map(\.rawValue).joined(separator: ", ")))\(scope)"
    }
}

/// How roles and scope are written into a certificate subject.
public enum PrincipalAttributes {
    public static let rolePrefix = "role:"
    public static let customerPrefix = "customer:"

    /// The subject OU values for `roles` and `customer`.
    public static func organizationalUnits(roles: [Role], customer: String?) -> [String] {
        roles.map { rolePrefix + $0.rawValue } + (customer.map { [customerPrefix + $0] } ?? [])
    }
}

/// A certificate that does not describe a valid principal.
public struct PrincipalError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }

    /// The caller presented no certificate at all.
    public static let missingCertificate = PrincipalError(
        "no client certificate: every call needs a certificate issued by the deployment's CA ('conform certs issue')"
    )
}

extension String {
    fileprivate func dropPrefix(_ prefix: String) -> String? {
        self.hasPrefix(prefix) ? String(self.dropFirst(prefix.count)) : nil
    }
}
