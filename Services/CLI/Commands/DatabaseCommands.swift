import ArgumentParser
import ConformStorage
import Foundation
import Logging

struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Prepare PostgreSQL for the services (as a database administrator).",
        subcommands: [Provision.self]
    )

    struct Provision: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the database and, per service, its login role, its schema and its audit trail.",
            discussion: """
                Each service gets a role (conform_<service>) that can use only its own schema. The \
                schema and the audit trail are owned by the administrator, so a service can append to \
                its audit trail but never change, delete or drop it. A role's password is read from \
                <secrets-dir>/<service>.password, or made there (owner-readable) when missing. \
                Safe to run again. The services migrate their own tables when they start.
                """
        )

        @Option(help: "One service (\(ServiceName.list)); all when omitted.")
        var service: ServiceName?

        @Option(help: "The database to create and use.")
        var database: String = "conform"

        @Option(help: "Folder for the services' database passwords.")
        var secretsDir: String = ".conform/secrets"

        @Option(help: "PostgreSQL host. [env: CONFORM_PG_HOST; default: 127.0.0.1]")
        var adminHost: String?

        @Option(help: "PostgreSQL port. [env: CONFORM_PG_PORT; default: 5432]")
        var adminPort: Int?

        @Option(help: "Administrator role. [env: CONFORM_PG_ADMIN_USER; default: postgres]")
        var adminUser: String?

        @Option(help: "File with the administrator's password. [env: CONFORM_PG_ADMIN_PASSWORD_FILE, or the password in CONFORM_PG_ADMIN_PASSWORD]")
        var adminPasswordFile: String?

        @Option(help: "Require TLS to PostgreSQL, verifying it against the CA in this PEM file. [env: CONFORM_PG_TLS_CA_FILE]")
        var adminTlsCaFile: String?

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            var password = environment["CONFORM_PG_ADMIN_PASSWORD"]
            if let file = self.adminPasswordFile ?? environment["CONFORM_PG_ADMIN_PASSWORD_FILE"] {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw ValidationError("cannot read the administrator password file '\(file)'")
                }
                password = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let portText = environment["CONFORM_PG_PORT"]
            guard let port = self.adminPort ?? (portText.map { Int($0) } ?? 5432) else {
                throw ValidationError("CONFORM_PG_PORT is '\(portText ?? "")'; it must be a port number")
            }
            let admin = AdministratorSettings(
                host: self.adminHost ?? environment["CONFORM_PG_HOST"] ?? "127.0.0.1",
                port: port,
                username: self.adminUser ?? environment["CONFORM_PG_ADMIN_USER"] ?? "postgres",
                password: password,
                tlsTrustRootsFile: self.adminTlsCaFile ?? environment["CONFORM_PG_TLS_CA_FILE"]
            )
            var logger = Logger(label: "conform.db")
            logger.logLevel = .warning
            let services = self.service.map { [$0] } ?? ServiceName.allCases
            let provisionings = try services.map { service in
                try Provisioning(schema: service.rawValue, role: "conform_\(service.rawValue)", password: try self.password(for: service))
            }
            do {
                try await DatabaseAdministration.createDatabaseIfMissing(self.database, as: admin, logger: logger)
                try await DatabaseAdministration.provision(provisionings, in: self.database, as: admin, logger: logger)
            } catch let error as ProvisioningError {
                throw CLIError(error.description)
            }
            for provisioning in provisionings {
                print("\(provisioning.schema): role \(provisioning.role), password in \(self.secretsDir)/\(provisioning.schema).password")
            }
            print("Database '\(self.database)' on \(admin.host):\(admin.port) is ready for the services.")
        }

        /// Reads the service's password, or makes one.
        private func password(for service: ServiceName) throws -> String {
            let path = (self.secretsDir as NSString).appendingPathComponent("\(service.rawValue).password")
            if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
                return existing.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            try FileManager.default.createDirectory(atPath: self.secretsDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var generator = SystemRandomNumberGenerator()
            let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
            let password = String((0..<32).map { _ in alphabet.randomElement(using: &generator)! })
            guard FileManager.default.createFile(atPath: path, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(path)")
            }
            return password
        }
    }
}
