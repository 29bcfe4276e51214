public import Logging
public import PostgresNIO

/// The audit trail of one service's schema: entries are inserted with no lock (the sealer
/// chains them after they commit), read in chain order, and verified (`AuditVerifier`).
public enum AuditTrailStore {
    /// Inserts `records` in the transaction `connection` is in, in one statement; they commit
    /// or roll back with the caller's write. Returns their entry ids.
    @discardableResult
    public static func insert(_ records: [AuditRecord], on connection: PostgresConnection, logger: Logger) async throws -> [Int64] {
        try await WriteRecords.insert(entries: records, events: [], answer: nil, on: connection, logger: logger)
    }

    /// Inserts `records` on their own (calls' entries, which change nothing else) in one
    /// autocommit statement, and returns once they are durable: no entry, no access.
    /// `AuditEntryQueue` gathers concurrent calls' entries into one such statement.
    public static func append(_ records: [AuditRecord], to database: Database, logger: Logger) async throws {
        // A transaction of its own without BEGIN and COMMIT round trips.
        try await database.statement(logger: logger) { connection in
            _ = try await Self.insert(records, on: connection, logger: logger)
        }
        database.commits.signal()
    }

    /// Sealed entries after position `sequence` that pass `filter`, in chain order, at most
    /// `limit`; with `includeUnsealed`, then those still waiting for the sealer (at most
    /// `limit` in all).
    public static func entries(
        after sequence: Int64,
        limit: Int,
        includeUnsealed: Bool = false,
        filter: AuditFilter = AuditFilter(),
        in database: Database,
        logger: Logger
    ) async throws -> [AuditEntry] {
        // One snapshot: the sealer may move entries from unsealed to sealed between the two reads.
        try await database.snapshot(logger: logger) { connection in
            var entries =
                filter.isEmpty
                ? try await Self.sealed(after: sequence, limit: limit, on: connection, logger: logger)
                : try await Self.sealed(after: sequence, limit: limit, filter: filter, on: connection, logger: logger)
            if includeUnsealed, entries.count < limit {
                // The tail the sealer has not reached is short; it is filtered here.
                let tail = try await Self.unsealed(limit: filter.isEmpty ? limit - entries.count : 10_000, on: connection, logger: logger)
                entries += tail.filter(filter.admits).prefix(limit - entries.count)
            }
            return entries
        }
    }

    /// Sealed entries after `sequence` that pass `filter`, in chain order.
    static func sealed(
        after sequence: Int64,
        limit: Int,
        filter: AuditFilter,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [AuditEntry] {
        let rows = try await connection.query(
            """
            SELECT s.sequence, s.entry_id, s.sealed_at_micros, s.previous_hash, s.hash,
                   t.recorded_at_micros, t.principal, t.action, t.outcome, t.object, t.detail, t.request_id
            FROM audit_seals s JOIN audit_trail t ON t.entry_id = s.entry_id
            WHERE s.sequence > \(sequence)
              AND (\(filter.principal)::text IS NULL OR t.principal = \(filter.principal))
              AND (\(filter.action)::text IS NULL OR t.action = \(filter.action))
              AND (\(filter.outcome?.rawValue)::text IS NULL OR t.outcome = \(filter.outcome?.rawValue))
              AND (\(filter.recordedFromMicros)::bigint IS NULL OR t.recorded_at_micros >= \(filter.recordedFromMicros))
              AND (\(filter.recordedUntilMicros)::bigint IS NULL OR t.recorded_at_micros < \(filter.recordedUntilMicros))
              AND (\(filter.requestID)::text IS NULL OR t.request_id = \(filter.requestID))
            ORDER BY s.sequence LIMIT \(limit)
            """,
            logger: logger
        )
        var entries: [AuditEntry] = []
        for try await row in rows {
            let (sequence, entryID, sealedAt, previousHash, hash, recordedAt, principal, action, outcome, object, detail, requestID) =
                try row.decode((Int64, Int64, Int64, String, String, Int64, String, String, String, String, String, String).self)
            entries.append(
                AuditEntry(
                    entryID: entryID,
                    recordedAtMicros: recordedAt,
                    record: AuditRecord(
                        principal: principal, action: action, outcome: AuditRecord.Outcome(rawValue: outcome), object: object, detail: detail,
                        requestID: requestID
                    ),
                    seal: AuditSeal(sequence: sequence, sealedAtMicros: sealedAt, previousHash: previousHash, hash: hash)
                )
            )
        }
        return entries
    }

    /// Sealed entries after position `sequence`, with the entry each seal names (nil where it is gone).
    static func sealed(
        after sequence: Int64,
        limit: Int,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [AuditEntry] {
        try await Self.sealedRows(after: sequence, limit: limit, on: connection, logger: logger).compactMap { row in
            row.entry.map { AuditEntry(entryID: row.entryID, recordedAtMicros: $0.recordedAtMicros, record: $0.record, seal: row.seal) }
        }
    }

    /// A seal as stored, with the entry it names if that entry is still there.
    struct SealRow: Sendable {
        var entryID: Int64
        var seal: AuditSeal
        var entry: (recordedAtMicros: Int64, record: AuditRecord)?
    }

    static func sealedRows(after sequence: Int64, limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [SealRow] {
        let rows = try await connection.query(
            """
            SELECT s.sequence, s.entry_id, s.sealed_at_micros, s.previous_hash, s.hash,
                   t.recorded_at_micros, t.principal, t.action, t.outcome, t.object, t.detail, t.request_id
            FROM audit_seals s LEFT JOIN audit_trail t ON t.entry_id = s.entry_id
            WHERE s.sequence > \(sequence) ORDER BY s.sequence LIMIT \(limit)
            """,
            logger: logger
        )
        var seals: [SealRow] = []
        for try await row in rows {
            let (sequence, entryID, sealedAt, previousHash, hash, recordedAt, principal, action, outcome, object, detail, requestID) =
                try row.decode((Int64, Int64, Int64, String, String, Int64?, String?, String?, String?, String?, String?, String?).self)
            let seal = AuditSeal(sequence: sequence, sealedAtMicros: sealedAt, previousHash: previousHash, hash: hash)
            var entry: (Int64, AuditRecord)?
            if let recordedAt, let principal, let action, let outcome, let object, let detail, let requestID {
                entry = (
                    recordedAt,
                    AuditRecord(
                        principal: principal, action: action, outcome: AuditRecord.Outcome(rawValue: outcome), object: object, detail: detail,
                        requestID: requestID
                    )
                )
            }
            seals.append(SealRow(entryID: entryID, seal: seal, entry: entry))
        }
        return seals
    }

    /// Entries the sealer has not reached yet, oldest first.
    static func unsealed(limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [AuditEntry] {
        let head = try await Sealer.head(on: connection, logger: logger)
        return try await Sealer.unsealedEntries(from: head.sealedBelowTxid, limit: limit, on: connection, logger: logger).map {
            AuditEntry(entryID: $0.entryID, recordedAtMicros: $0.recordedAtMicros, record: $0.record, seal: nil)
        }
    }
}
