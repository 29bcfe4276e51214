import ArgumentParser
import ConformCertificates
import ConformDomain
import ConformSecurity
import Foundation
import X509

struct CertsCommand: AsyncParsableCommand {
    /// The folder a certs command works on: --dir, else CONFORM_TLS_DIR, else .conform/tls.
    static func folder(_ option: String?) -> String {
        option ?? ProcessInfo.processInfo.environment["CONFORM_TLS_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? ".conform/tls"
    }

    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Development certificates: a CA, one certificate per service, and principals with roles.",
        discussion: """
            A principal's roles and customer scope are written into its certificate subject \
            (OU=role:NAME, OU=customer:CODE) and signed by the CA; services trust nothing else. \
            Private keys are written owner-readable only and are never committed.
            """,
        subcommands: [Init.self, Issue.self, List.self]
    )

    /// The principals `certs init` makes, so that every role can be tried at once.
    static let defaultPrincipals: [(name: String, roles: [Role], customer: String?)] = [
        ("quality-engineer", [.qualityEngineer], nil),
        ("quality-manager", [.qualityManager], nil),
        ("operator", [.operator], nil),
        ("inspector", [.inspector], nil),
        ("auditor", [.auditor], nil),
        ("admin", [.admin], nil),
        ("customer-a-auditor", [.customerAuditor], "A"),
    ]

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a CA, the five service certificates and the default principals, unless they exist.",
            discussion: "Principals made: \(CertsCommand.defaultPrincipals.map(\.name).joined(separator: ", ")). A second run keeps what is there."
        )

        @Option(name: .customLong("dir"), help: "Where to write them. [env: CONFORM_TLS_DIR; default: .conform/tls]")
        var directory: String?
        var dir: String { CertsCommand.folder(self.directory) }

        @Option(help: "Extra host names the services answer to (repeatable), e.g. a container host name.")
        var host: [String] = []

        @Option(help: "Host names of the PostgreSQL server, for its TLS certificate postgres.pem (repeatable).")
        var databaseHost: [String] = ["postgres"]

        func run() async throws {
            let store = CertificateFolder(path: self.dir)
            let authority = try store.loadOrCreateAuthority()
            var made: [String] = []
            for service in ServiceName.allCases where !store.has(service.rawValue) {
                let issued = try authority.issue(
                    commonName: service.rawValue,
                    organizationalUnits: PrincipalAttributes.organizationalUnits(roles: [.service], customer: nil),
                    dnsNames: ["localhost", service.rawValue, "conform-\(service.rawValue)"] + self.host,
                    ipAddresses: ["127.0.0.1"],
                    usage: .service,
                    validFor: 365 * 86_400
                )
                try store.write(issued, as: service.rawValue)
                made.append(service.rawValue)
            }
            if !store.has("postgres") {
                // PostgreSQL's own server certificate, so services can require TLS to it.
                let issued = try authority.issue(
                    commonName: "postgres",
                    dnsNames: ["localhost"] + self.databaseHost,
                    ipAddresses: ["127.0.0.1"],
                    usage: .service,
                    validFor: 365 * 86_400
                )
                try store.write(issued, as: "postgres")
                made.append("postgres")
            }
            for principal in CertsCommand.defaultPrincipals where !store.has(principal.name) {
                try store.write(
                    try authority.issue(
                        commonName: principal.name,
                        organizationalUnits: PrincipalAttributes.organizationalUnits(roles: principal.roles, customer: principal.customer),
                        usage: .client,
                        validFor: 365 * 86_400
                    ),
                    as: principal.name
                )
                made.append(principal.name)
            }
            print(made.isEmpty ? "Everything was already in \(self.dir)." : "Wrote to \(self.dir): \(made.joined(separator: ", ")).")
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a certificate for a principal from the CA in the folder.",
            discussion: "Example: conform certs issue --name jo.park --role quality-engineer --role inspector"
        )

        @Option(help: "The principal's name (the certificate's CN; also the file name).")
        var name: String

        @Option(help: "A role (repeatable): \(Role.all.map(\.rawValue).joined(separator: ", ")).")
        var role: [String] = []

        @Option(help: "The customer this principal acts for (needed by customer-auditor and partner-portal).")
        var customer: String?

        @Option(help: "Valid for this many days (default 365).")
        var days: Int?

        @Option(help: "Valid through this day, YYYY-MM-DD (UTC), e.g. for a customer's auditor during one audit; instead of --days.")
        var validUntil: String?

        @Option(name: .customLong("dir"), help: "The folder holding the CA. [env: CONFORM_TLS_DIR; default: .conform/tls]")
        var directory: String?
        var dir: String { CertsCommand.folder(self.directory) }

        @Flag(help: "Replace an existing certificate of that name.")
        var force = false

        func validate() throws {
            let known = Set(Role.all.map(\.rawValue))
            guard !self.role.isEmpty else { throw ValidationError("give at least one --role") }
            for role in self.role where !known.contains(role) {
                throw ValidationError("unknown role '\(role)'; roles are \(Role.all.map(\.rawValue).joined(separator: ", "))")
            }
            let scoped = Set(self.role).intersection(Role.customerScoped.map(\.rawValue))
            if self.customer == nil, let role = scoped.first {
                throw ValidationError("role \(role) acts for one customer: add --customer CODE")
            }
            if self.customer != nil, let role = Set(self.role).subtracting(Role.customerScoped.map(\.rawValue)).sorted().first {
                throw ValidationError("--customer is only for customer-auditor and partner-portal; role \(role) would see every customer")
            }
            guard !self.name.isEmpty, self.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                throw ValidationError("--name may hold only letters, digits, '-', '_' and '.'")
            }
            if self.days != nil, self.validUntil != nil { throw ValidationError("give --days or --valid-until, not both") }
            if let days = self.days, days <= 0 { throw ValidationError("--days must be at least 1") }
            _ = try self.validUntilDate(now: Date())
        }

        /// The end of --valid-until's day (UTC), or nil when --days sets the validity.
        func validUntilDate(now: Date) throws -> Date? {
            guard let validUntil = self.validUntil else { return nil }
            guard let day = Day(validUntil) else { throw ValidationError("--valid-until '\(validUntil)' is not a day; write it as YYYY-MM-DD") }
            // Unix days are UTC days: the end of `day` is the start of the day after it.
            let startOfToday = (now.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400
            let end = Date(timeIntervalSince1970: startOfToday + TimeInterval(Day(now).days(until: day) + 1) * 86_400)
            guard end > now else { throw ValidationError("--valid-until \(validUntil) has passed; name a day from today on") }
            return end
        }

        func run() async throws {
            let store = CertificateFolder(path: self.dir)
            guard store.hasAuthority else {
                throw ValidationError("no CA in \(self.dir); run 'conform certs init --dir \(self.dir)' first")
            }
            if store.has(self.name) && !self.force {
                throw ValidationError("\(self.name).pem exists in \(self.dir); pass --force to replace it")
            }
            let authority = try store.loadOrCreateAuthority()
            let roles = self.role.map(Role.init(rawValue:))
            // Valid from a little before now (clocks differ), through --valid-until's day or for --days.
            let now = Date()
            let notBefore = now.addingTimeInterval(-300)
            let validFor = try self.validUntilDate(now: now).map { $0.timeIntervalSince(notBefore) } ?? TimeInterval(self.days ?? 365) * 86_400
            try store.write(
                try authority.issue(
                    commonName: self.name,
                    organizationalUnits: PrincipalAttributes.organizationalUnits(roles: roles, customer: self.customer),
                    usage: .client,
                    validFor: validFor,
                    notBefore: notBefore
                ),
                as: self.name
            )
            let expires = ISO8601DateFormatter().string(from: try store.certificate(self.name).notValidAfter)
            print("Wrote \(self.dir)/\(self.name).pem and \(self.name)-key.pem, valid until \(expires); use it with --as \(self.name).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the principals and services in the folder, with roles and expiry.")

        @Option(name: .customLong("dir"), help: "The folder. [env: CONFORM_TLS_DIR; default: .conform/tls]")
        var directory: String?
        var dir: String { CertsCommand.folder(self.directory) }

        func run() async throws {
            let store = CertificateFolder(path: self.dir)
            var table = Table("NAME", "ROLES", "CUSTOMER", "EXPIRES")
            for name in try store.names() where name != "ca" {
                let certificate = try store.certificate(name)
                let principal = try? Principal(certificate: certificate)
                table.add(
                    name,
                    principal?.roles.sorted().map(\.rawValue).joined(separator: ",") ?? "?",
                    principal?.customerScope ?? "",
                    ISO8601DateFormatter().string(from: certificate.notValidAfter)
                )
            }
            print(table.render())
        }
    }
}

/// A folder of PEM files: ca.pem and ca-key.pem, then NAME.pem and NAME-key.pem.
struct CertificateFolder {
    let path: String

    var hasAuthority: Bool { self.has("ca") }

    func has(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: self.file("\(name).pem")) && FileManager.default.fileExists(atPath: self.file("\(name)-key.pem"))
    }

    func loadOrCreateAuthority() throws -> DevelopmentCA {
        if self.hasAuthority {
            return try DevelopmentCA(
                certificatePEM: String(contentsOfFile: self.file("ca.pem"), encoding: .utf8),
                privateKeyPEM: String(contentsOfFile: self.file("ca-key.pem"), encoding: .utf8)
            )
        }
        try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
        let authority = try DevelopmentCA(commonName: "Conform Development CA", validFor: 5 * 365 * 86_400)
        try self.save(try authority.certificatePEM, to: "ca.pem", secret: false)
        try self.save(try authority.privateKeyPEM, to: "ca-key.pem", secret: true)
        return authority
    }

    func write(_ issued: IssuedCertificate, as name: String) throws {
        try self.save(try issued.certificatePEM, to: "\(name).pem", secret: false)
        try self.save(issued.privateKeyPEM, to: "\(name)-key.pem", secret: true)
    }

    /// The names with a certificate and its key (NAME.pem, NAME-key.pem): the folder also
    /// holds other PEM files, e.g. signers' public keys (NAME-signing-public.pem).
    func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: self.path)
            .filter { $0.hasSuffix(".pem") && !$0.hasSuffix("-key.pem") }
            .map { String($0.dropLast(4)) }
            .filter(self.has)
            .sorted()
    }

    func certificate(_ name: String) throws -> Certificate {
        try Certificate(pemEncoded: String(contentsOfFile: self.file("\(name).pem"), encoding: .utf8))
    }

    private func file(_ name: String) -> String {
        (self.path as NSString).appendingPathComponent(name)
    }

    private func save(_ text: String, to name: String, secret: Bool) throws {
        let path = self.file(name)
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: secret ? [.posixPermissions: 0o600] : nil) else {
            throw ValidationError("cannot write \(path)")
        }
    }
}
