import ConformDomain
import ConformStorage
import Logging
import PostgresNIO

/// The read model in the reporting schema: cursors, the event journal, batch summaries.
enum ReadModelStore {
    /// The cursor `source`'s feed was read to ("" before the first event).
    static func cursor(of source: String, in database: Database, logger: Logger) async throws -> String {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query("SELECT cursor FROM feed_cursors WHERE source = \(source)", logger: logger)
            for try await cursor in rows.decode(String.self) { return cursor }
            return ""
        }
    }

    /// Applies one event in the caller's transaction: journals it, projects it, and moves the
    /// cursor, together. An event seen before changes nothing.
    ///
    /// - Returns: whether the event was new.
    static func apply(_ event: FeedEvent, batch: BatchSummary?, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let inserted = try await connection.query(
            """
            INSERT INTO feed_events (source, cursor, type, subject, payload, occurred_at_micros)
            VALUES (\(event.source), \(event.cursor), \(event.type), \(event.subject), \(event.payloadJSON), \(event.occurredAtMicros))
            ON CONFLICT (source, cursor) DO NOTHING RETURNING 1
            """,
            logger: logger
        )
        var isNew = false
        for try await _ in inserted { isNew = true }
        guard isNew else { return false }
        if let batch {
            try await connection.query(
                """
                INSERT INTO batch_summaries (number, customer, product, status, manufacture_date, updated_at_micros)
                VALUES (\(batch.number), \(batch.customer), \(batch.product), \(batch.status), \(batch.manufactureDate.description)::date,
                        \(event.occurredAtMicros))
                ON CONFLICT (number) DO UPDATE SET customer = EXCLUDED.customer, product = EXCLUDED.product, status = EXCLUDED.status,
                    manufacture_date = EXCLUDED.manufacture_date, updated_at_micros = EXCLUDED.updated_at_micros
                """,
                logger: logger
            )
        }
        try await connection.query(
            """
            INSERT INTO feed_cursors (source, cursor, applied, updated_at_micros) VALUES (\(event.source), \(event.cursor), 1, \(Timestamps.nowMicros()))
            ON CONFLICT (source) DO UPDATE SET cursor = EXCLUDED.cursor, applied = feed_cursors.applied + 1, updated_at_micros = EXCLUDED.updated_at_micros
            """,
            logger: logger
        )
        return true
    }

    /// Every feed's progress.
    static func progress(in database: Database, logger: Logger) async throws -> [(source: String, cursor: String, applied: Int64, updatedAtMicros: Int64)] {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query("SELECT source, cursor, applied, updated_at_micros FROM feed_cursors ORDER BY source", logger: logger)
            var progress: [(source: String, cursor: String, applied: Int64, updatedAtMicros: Int64)] = []
            for try await (source, cursor, applied, micros) in rows.decode((String, String, Int64, Int64).self) {
                progress.append((source, cursor, applied, micros))
            }
            return progress
        }
    }

    /// How many batches the read model knows, by status.
    static func batchCounts(in database: Database, logger: Logger) async throws -> [String: Int64] {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query("SELECT status, count(*) FROM batch_summaries GROUP BY status", logger: logger)
            var counts: [String: Int64] = [:]
            for try await (status, count) in rows.decode((String, Int64).self) { counts[status] = count }
            return counts
        }
    }
}
