public import Logging
import NIOSSL
public import PostgresNIO

/// How to reach PostgreSQL as an administrator (a superuser, or a role with CREATEDB and CREATEROLE).
public struct AdministratorSettings: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    /// Require TLS, verifying the server against the CA in this PEM file.
    public var tlsTrustRootsFile: String?

    public init(host: String, port: Int, username: String, password: String?, tlsTrustRootsFile: String? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.tlsTrustRootsFile = tlsTrustRootsFile
    }

    func tls() throws -> PostgresConnection.Configuration.TLS {
        guard let file = self.tlsTrustRootsFile else { return .disable }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(file)
        return .require(try NIOSSLContext(configuration: configuration))
    }
}

/// What an administrator does before services start: the database, then each service's
/// role, schema and audit trail.
public enum DatabaseAdministration {
    /// Creates `database` unless it exists; nobody but the roles granted later may connect.
    public static func createDatabaseIfMissing(_ database: String, as admin: AdministratorSettings, logger: Logger) async throws {
        guard Provisioning.isPlainIdentifier(database) else {
            throw ProvisioningError("the database name '\(database)' must be lower-case letters, digits and '_', starting with a letter")
        }
        try await self.withConnection(to: "postgres", as: admin, logger: logger) { connection in
            let rows = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(database)", logger: logger)
            var exists = false
            for try await _ in rows { exists = true }
            if !exists {
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(database)"), logger: logger)
                logger.info("created database", metadata: ["database": "\(database)"])
            }
            try await connection.query(PostgresQuery(unsafeSQL: "REVOKE ALL ON DATABASE \(database) FROM PUBLIC"), logger: logger)
        }
    }

    /// Applies each provisioning in `database`.
    public static func provision(_ services: [Provisioning], in database: String, as admin: AdministratorSettings, logger: Logger) async throws {
        try await self.withConnection(to: database, as: admin, logger: logger) { connection in
            for service in services {
                try await service.apply(on: connection, logger: logger)
                logger.info("provisioned", metadata: ["schema": "\(service.schema)", "role": "\(service.role)"])
            }
        }
    }

    /// Runs `body` on a single administrator connection to `database`.
    public static func withConnection<Result: Sendable>(
        to database: String,
        as admin: AdministratorSettings,
        logger: Logger,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls = try admin.tls()
        } catch {
            throw ProvisioningError("cannot use the CA file '\(admin.tlsTrustRootsFile ?? "")' for TLS to PostgreSQL: \(error)")
        }
        let configuration = PostgresConnection.Configuration(
            host: admin.host,
            port: admin.port,
            username: admin.username,
            password: admin.password,
            database: database,
            tls: tls
        )
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        } catch let error as PSQLError {
            throw ProvisioningError(
                "cannot connect to PostgreSQL at \(admin.host):\(admin.port) as \(admin.username): \(error.serverInfo?[.message] ?? "\(error.code)")"
            )
        }
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
