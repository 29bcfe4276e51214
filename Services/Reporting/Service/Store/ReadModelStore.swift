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

    /// What `knows` is asked about: the requirement service's event that creates one, and the
    /// batch summaries' column naming it.
    enum CatalogCode {
        case customer, product

        fileprivate var created: String { self == .customer ? "customer.created" : "product.created" }
        fileprivate var subject: String { self == .customer ? "customer:" : "product:" }
        /// The batch summaries' column, a fixed identifier.
        fileprivate var column: String { self == .customer ? "customer" : "product" }
    }

    /// Whether the feeds read so far show customer or product `code`: its creation, or a batch for it.
    static func knows(_ kind: CatalogCode, _ code: String, in database: Database, logger: Logger) async throws -> Bool {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT EXISTS (SELECT 1 FROM feed_events WHERE type = \(kind.created) AND source = 'requirement' AND subject = \(kind.subject + code))
                    OR EXISTS (SELECT 1 FROM batch_summaries WHERE \(unescaped: kind.column) = \(code))
                """,
                logger: logger
            )
            for try await known in rows.decode(Bool.self) { return known }
            return false
        }
    }

    /// Applies one event in the caller's transaction: journals it and projects it; the caller
    /// moves the cursor in the same transaction (`moveCursor`). An event seen before changes
    /// nothing.
    ///
    /// - Returns: whether the event was new.
    static func apply(_ event: FeedEvent, change: ReadModelChange?, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
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
        switch change {
        case .batch(let batch):
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
        case .evidence(let item, let supersedes):
            try await connection.query(
                """
                INSERT INTO evidence_items (id, batch, type, file_name, media_type, sha256, size, uploaded_by, uploaded_at_micros,
                                            concerns, requirement_ids, supersedes)
                VALUES (\(item.id), \(item.batch), \(item.type), \(item.fileName), \(item.mediaType), \(item.sha256), \(item.size),
                        \(item.uploadedBy), \(item.uploadedAtMicros), \(item.concerns), \(item.concerns.compactMap { RequirementRef(reference: $0)?.id }),
                        \(supersedes))
                ON CONFLICT (id) DO NOTHING
                """,
                logger: logger
            )
            if supersedes != 0 {
                try await connection.query("UPDATE evidence_items SET superseded_by = \(item.id) WHERE id = \(supersedes)", logger: logger)
            }
        case .signature(let id, let target, let manifestation):
            let item = target.hasPrefix("evidence:") ? Int64(target.dropFirst("evidence:".count)) : nil
            let batch = target.hasPrefix("batch:") ? String(target.dropFirst("batch:".count)) : nil
            try await connection.query(
                """
                INSERT INTO signatures (id, target, item, batch, signer, printed_name, meaning, signed_at_micros)
                VALUES (\(id), \(target), \(item), \(batch), \(manifestation.signer), \(manifestation.printedName), \(manifestation.meaning),
                        \(manifestation.signedAtMicros))
                ON CONFLICT (id) DO NOTHING
                """,
                logger: logger
            )
        case nil:
            break
        }
        return true
    }

    /// Moves `source`'s cursor to `cursor`, counting `applied` more events, in the caller's
    /// transaction: the one that applied them.
    static func moveCursor(of source: String, to cursor: String, applied: Int, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO feed_cursors (source, cursor, applied, updated_at_micros) VALUES (\(source), \(cursor), \(applied), \(Timestamps.nowMicros()))
            ON CONFLICT (source) DO UPDATE SET cursor = EXCLUDED.cursor, applied = feed_cursors.applied + EXCLUDED.applied,
                updated_at_micros = EXCLUDED.updated_at_micros
            -- Only forward: a replica that read the feed behind another never moves it back.
            WHERE feed_cursors.cursor::bigint < EXCLUDED.cursor::bigint
            """,
            logger: logger
        )
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

    /// A batch as the read model knows it, read in the caller's transaction.
    static func batch(_ number: String, on connection: PostgresConnection, logger: Logger) async throws -> BatchSummary? {
        let rows = try await connection.query(
            "SELECT number, customer, product, status, manufacture_date::text, evaluated_at_micros FROM batch_summaries WHERE number = \(number)",
            logger: logger
        )
        for try await (number, customer, product, status, date, evaluatedAt) in rows.decode((String, String, String, String, String, Int64).self) {
            guard let day = Day(date) else { return nil }
            return BatchSummary(number: number, customer: customer, product: product, status: status, manufactureDate: day, isEvaluated: evaluatedAt > 0)
        }
        return nil
    }
}
