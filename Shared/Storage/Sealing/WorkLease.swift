public import Logging
import PostgresNIO

/// A named piece of background work that one replica does at a time: the holder renews it
/// while it works; when the holder dies, another replica takes it over once it expires.
/// The database's clock decides, so replicas' clocks need not agree.
public struct WorkLease: Sendable {
    public let name: String
    /// This replica, e.g. "requirement@host:pid".
    public let holder: String
    public let duration: Duration

    public init(name: String, holder: String, duration: Duration = .seconds(5)) {
        self.name = name
        self.holder = holder
        self.duration = duration
    }

    /// Takes or renews the lease; true when this replica holds it now.
    public func claim(in database: Database, logger: Logger) async throws -> Bool {
        let milliseconds = self.duration.components.seconds * 1_000 + self.duration.components.attoseconds / 1_000_000_000_000_000
        let name = self.name, holder = self.holder
        return try await database.statement(logger: logger) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO work_leases (name, holder, expires_at) VALUES (\(name), \(holder), clock_timestamp() + \(milliseconds) * interval '1 millisecond')
                ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                WHERE work_leases.holder = EXCLUDED.holder OR work_leases.expires_at < clock_timestamp()
                RETURNING holder
                """,
                logger: logger
            )
            for try await _ in rows { return true }
            return false
        }
    }

    /// Gives the lease up (a replica draining), so another takes over at once.
    public func release(in database: Database, logger: Logger) async throws {
        let name = self.name, holder = self.holder
        try await database.statement(logger: logger) { connection in
            try await connection.query("DELETE FROM work_leases WHERE name = \(name) AND holder = \(holder)", logger: logger)
        }
    }
}
