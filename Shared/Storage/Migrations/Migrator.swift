public import Logging
import PostgresNIO

/// Brings a service's schema up to date and refuses a schema newer than this build knows.
///
/// Replicas starting at once are serialised by an advisory lock, so each migration runs once.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    /// - Parameter migrations: the service's migrations; `SharedMigrations.all` go first.
    public init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// The newest version this build knows.
    public var latestVersion: Int { self.migrations.last?.version ?? 0 }

    /// Applies every migration not yet recorded, all in one transaction (a failure leaves
    /// the schema as it was); returns the versions it applied.
    @discardableResult
    public func migrate(_ database: Database, logger: Logger) async throws -> [Int] {
        try self.checkNumbering()
        let known = self.migrations
        let latest = self.latestVersion
        let schema = database.settings.schema
        return try await database.transaction(logger: logger) { connection in
            // A replica waits here for another's migrations, and a migration may rebuild a large
            // table: neither is bound by the timeouts meant for calls.
            try await connection.query("SET LOCAL statement_timeout = 0", logger: logger)
            try await connection.query("SET LOCAL lock_timeout = 0", logger: logger)
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(schema + ".migrations")))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                logger: logger
            )
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger).decode(Int.self) {
                applied.insert(version)
            }
            if let newest = applied.max(), newest > latest {
                throw MigrationError(
                    "the database schema '\(schema)' is at version \(newest), newer than this build knows "
                        + "(\(latest)); run the newer build of this service, or restore a backup made by this one"
                )
            }
            var ran: [Int] = []
            for migration in known where !applied.contains(migration.version) {
                do {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                } catch let error as PSQLError {
                    throw MigrationError(
                        "migration \(migration.version) (\(migration.name)) failed: \(error.serverInfo?[.message] ?? "\(error.code)")"
                    )
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger
                )
                logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                ran.append(migration.version)
            }
            return ran
        }
    }

    private func checkNumbering() throws {
        for (index, migration) in self.migrations.enumerated() where migration.version != index + 1 {
            throw MigrationError("migrations must be numbered 1, 2, 3, ... without gaps; found \(migration.version) (\(migration.name)) at position \(index + 1)")
        }
    }
}

/// Why a schema could not be brought up to date.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
