public import Logging
public import PostgresNIO

/// The audit trail table of one service's schema: append inside the caller's transaction,
/// read in order, and verify the chain.
public enum AuditTrailStore {
    /// Appends `record` in the transaction `connection` is in; the entry commits or rolls
    /// back with the caller's write. Appends are serialised per schema (`WriteOrder`) to keep one chain.
    @discardableResult
    public static func append(
        _ record: AuditRecord,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> AuditEntry {
        try await WriteOrder.lock(on: connection, logger: logger)
        var previousSequence: Int64 = 0
        var previousHash = AuditChain.genesis
        let last = try await connection.query(
            "SELECT sequence, hash FROM audit_trail ORDER BY sequence DESC LIMIT 1",
            logger: logger
        )
        for try await (sequence, hash) in last.decode((Int64, String).self) {
            previousSequence = sequence
            previousHash = hash
        }
        let sequence = previousSequence + 1
        let micros = Timestamps.nowMicros()
        let hash = AuditChain.hash(sequence: sequence, recordedAtMicros: micros, record: record, previousHash: previousHash)
        try await connection.query(
            """
            INSERT INTO audit_trail
                (sequence, recorded_at_micros, principal, action, outcome, object, detail, request_id, previous_hash, hash)
            VALUES (\(sequence), \(micros), \(record.principal), \(record.action), \(record.outcome.rawValue),
                    \(record.object), \(record.detail), \(record.requestID), \(previousHash), \(hash))
            """,
            logger: logger
        )
        return AuditEntry(sequence: sequence, recordedAtMicros: micros, record: record, previousHash: previousHash, hash: hash)
    }

    /// Appends `record` in a transaction of its own (an access attempt, which changes nothing else).
    @discardableResult
    public static func append(_ record: AuditRecord, to database: Database, logger: Logger) async throws -> AuditEntry {
        try await database.transaction(logger: logger) { connection in
            try await Self.append(record, on: connection, logger: logger)
        }
    }

    /// Entries after `sequence`, in order, at most `limit`.
    public static func entries(
        after sequence: Int64,
        limit: Int,
        in database: Database,
        logger: Logger
    ) async throws -> [AuditEntry] {
        try await database.read(logger: logger) { connection in
            try await Self.entries(after: sequence, limit: limit, on: connection, logger: logger)
        }
    }

    static func entries(
        after sequence: Int64,
        limit: Int,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [AuditEntry] {
        let rows = try await connection.query(
            """
            SELECT sequence, recorded_at_micros, principal, action, outcome, object, detail, request_id, previous_hash, hash
            FROM audit_trail WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(limit)
            """,
            logger: logger
        )
        var entries: [AuditEntry] = []
        for try await row in rows {
            let (sequence, micros, principal, action, outcome, object, detail, requestID, previousHash, hash) =
                try row.decode((Int64, Int64, String, String, String, String, String, String, String, String).self)
            let record = AuditRecord(
                principal: principal,
                action: action,
                outcome: AuditRecord.Outcome(rawValue: outcome),
                object: object,
                detail: detail,
                requestID: requestID
            )
            entries.append(
                AuditEntry(sequence: sequence, recordedAtMicros: micros, record: record, previousHash: previousHash, hash: hash)
            )
        }
        return entries
    }

    /// Recomputes the whole chain, a page at a time, and reports the first broken link.
    public static func verify(_ database: Database, logger: Logger, pageSize: Int = 2_000) async throws -> AuditVerification {
        var previous: AuditEntry?
        var checked: UInt64 = 0
        while true {
            let page = try await Self.entries(after: previous?.sequence ?? 0, limit: pageSize, in: database, logger: logger)
            for entry in page {
                if let problem = AuditChain.problem(with: entry, after: previous) {
                    return AuditVerification(
                        entriesChecked: checked,
                        firstBrokenSequence: entry.sequence,
                        problem: "entry \(entry.sequence): \(problem)",
                        headHash: previous?.hash ?? AuditChain.genesis
                    )
                }
                checked += 1
                previous = entry
            }
            if page.count < pageSize { break }
        }
        return AuditVerification(entriesChecked: checked, firstBrokenSequence: nil, problem: nil, headHash: previous?.hash ?? AuditChain.genesis)
    }
}

/// The result of recomputing an audit trail's chain.
public struct AuditVerification: Sendable, Equatable {
    public var entriesChecked: UInt64
    /// The first entry that does not hold, nil when the chain is intact.
    public var firstBrokenSequence: Int64?
    public var problem: String?
    /// The hash of the last entry that holds.
    public var headHash: String

    public var isIntact: Bool { self.firstBrokenSequence == nil }
}
