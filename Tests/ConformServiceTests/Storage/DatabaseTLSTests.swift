import ConformCertificates
import ConformStorage
import Foundation
import PostgresNIO
import Testing

/// Services reach PostgreSQL over TLS verified against the deployment's CA when told to
/// (CONFORM_DB_TLS_CA_FILE), as the compose deployment does.
@Suite("TLS to PostgreSQL", .timeLimit(.minutes(5)))
struct DatabaseTLSTests {
    @Test("with the deployment CA the connection is encrypted; with another CA it is refused")
    func verifiedTLS() async throws {
        let postgres = try TestPostgres.fromEnvironment()
        let clusterDirectory = try #require(postgres.directory, "dev/test.sh exports CONFORM_PG_DIR")
        let authority = try DevelopmentCA(commonName: "Conform Database Test CA")
        let server = try authority.issue(commonName: "postgres", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .service)

        // The server's key must belong to the postgres user, readable by it alone.
        let folder = "\(clusterDirectory)/data/test-tls"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try server.certificatePEM.write(toFile: "\(folder)/server.pem", atomically: true, encoding: .utf8)
        try server.privateKeyPEM.write(toFile: "\(folder)/server-key.pem", atomically: true, encoding: .utf8)
        for file in [folder, "\(folder)/server.pem", "\(folder)/server-key.pem"] {
            try FileManager.default.setAttributes([.ownerAccountName: "postgres", .groupOwnerAccountName: "postgres"], ofItemAtPath: file)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: "\(folder)/server-key.pem")
        try await postgres.asAdministrator(in: "postgres") { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "ALTER SYSTEM SET ssl_cert_file = '\(folder)/server.pem'"), logger: .test)
            try await connection.query(PostgresQuery(unsafeSQL: "ALTER SYSTEM SET ssl_key_file = '\(folder)/server-key.pem'"), logger: .test)
            try await connection.query("ALTER SYSTEM SET ssl = on", logger: .test)
            try await connection.query("SELECT pg_reload_conf()", logger: .test)
        }

        let trusted = FileManager.default.temporaryDirectory.appendingPathComponent("conform-db-ca-\(UUID().uuidString).pem").path
        let stranger = FileManager.default.temporaryDirectory.appendingPathComponent("conform-db-other-\(UUID().uuidString).pem").path
        defer {
            try? FileManager.default.removeItem(atPath: trusted)
            try? FileManager.default.removeItem(atPath: stranger)
        }
        try authority.certificatePEM.write(toFile: trusted, atomically: true, encoding: .utf8)
        try DevelopmentCA(commonName: "Someone Else").certificatePEM.write(toFile: stranger, atomically: true, encoding: .utf8)

        var settings = try await postgres.makeServiceDatabase(suite: "dbtls")
        settings.tlsTrustRootsFile = trusted
        let encrypted = try await self.withDatabase(settings) { database in
            try await database.read(logger: .test) { connection in
                let rows = try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: .test)
                var ssl = false
                for try await value in rows.decode(Bool.self) { ssl = value }
                return ssl
            }
        }
        #expect(encrypted)

        // Provisioning (`conform db provision --admin-tls-ca-file`) goes over TLS too.
        var admin = postgres.admin
        admin.tlsTrustRootsFile = trusted
        let adminEncrypted = try await DatabaseAdministration.withConnection(to: "postgres", as: admin, logger: .test) { connection in
            var ssl = false
            for try await value in try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: .test)
                .decode(Bool.self) {
                ssl = value
            }
            return ssl
        }
        #expect(adminEncrypted)

        settings.tlsTrustRootsFile = stranger
        settings.connectTimeout = .seconds(1)
        let error = await #expect(throws: DatabaseError.self) {
            try await self.withDatabase(settings) { database in
                try await database.read(logger: .test) { connection in
                    try await connection.query("SELECT 1", logger: .test)
                }
            }
        }
        #expect(error?.kind == .unavailable)
    }

    func withDatabase<Result: Sendable>(_ settings: DatabaseSettings, _ body: (Database) async throws -> Result) async throws -> Result {
        let database = Database(settings: settings, logger: .test)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }
}
