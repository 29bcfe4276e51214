public import Logging
public import PostgresNIO

/// The audit trail of one service's schema: entries are inserted with no lock (the sealer
/// chains them after they commit), read in chain order, and verified (`AuditVerifier`).
public enum AuditTrailStore {
    /// Inserts `records` in the transaction `connection` is in, in one statement; they commit
    /// or roll back with the caller's write. Returns their entry ids.
    @discardableResult
    public static func insert(_ records: [AuditRecord], on connection: PostgresConnection, logger: Logger) async throws -> [Int64] {
        guard !records.isEmpty else { return [] }
        let micros = Timestamps.nowMicros()
        let rows = try await connection.query(
            """
            INSERT INTO audit_trail (recorded_at_micros, principal, action, outcome, object, detail, request_id)
            SELECT \(micros), * FROM unnest(\(records.map(\.principal))::text[], \(records.map(\.action))::text[],
                \(records.map(\.outcome.rawValue))::text[], \(records.map(\.object))::text[], \(records.map(\.detail))::text[],
                \(records.map(\.requestID))::text[])
            RETURNING entry_id
            """,
            logger: logger
        )
        var ids: [Int64] = []
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        return ids
    }

    /// Inserts `record` on its own (an access attempt, which changes nothing else) and returns
    /// once it is durable: no entry, no access.
    @discardableResult
    public static func append(_ record: AuditRecord, to database: Database, logger: Logger) async throws -> Int64 {
        // One autocommit statement: a transaction of its own without BEGIN and COMMIT round trips.
        let id = try await database.statement(logger: logger) { connection in
            try await Self.insert([record], on: connection, logger: logger).first ?? 0
        }
        database.commits.signal()
        return id
    }

    /// Sealed entries after position `sequence`, in chain order, at most `limit`; with
    /// `includeUnsealed`, then those still waiting for the sealer (at most `limit` in all).
    public static func entries(
        after sequence: Int64,
        limit: Int,
        includeUnsealed: Bool = false,
        in database: Database,
        logger: Logger
    ) async throws -> [AuditEntry] {
        // One snapshot: the sealer may move entries from unsealed to sealed between the two reads.
        try await database.snapshot(logger: logger) { connection in
            var entries = try await Self.sealed(after: sequence, limit: limit, on: connection, logger: logger)
            if includeUnsealed, entries.count < limit {
                entries += try await Self.unsealed(limit: limit - entries.count, on: connection, logger: logger)
            }
            return entries
        }
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
