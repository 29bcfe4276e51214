public import Logging
import NIOCore
import PostgresNIO

/// Checks a service's audit trail: every seal's link and hash, every signed checkpoint,
/// entry ids that were drawn but are nowhere (a gap), and entries the sealer has left
/// waiting past the deadline.
public struct AuditVerifier: Sendable {
    public let database: Database
    public let checker: (any CheckpointChecking)?
    /// An entry still unsealed this long after it was recorded is reported.
    public var sealingDeadline: Duration
    public var pageSize: Int

    public init(database: Database, checker: (any CheckpointChecking)?, sealingDeadline: Duration = .seconds(30), pageSize: Int = 2_000) {
        self.database = database
        self.checker = checker
        self.sealingDeadline = sealingDeadline
        self.pageSize = pageSize
    }

    /// Walks the chain from the start, or with `resume` from the newest signed checkpoint that
    /// an earlier verification reached (checked again itself), and records how far it got.
    public func verify(resume: Bool, logger: Logger) async throws -> AuditVerification {
        let schema = self.database.settings.schema
        var result = AuditVerification()
        let checkpoints = try await self.database.read(logger: logger) { connection in
            try await Self.checkpoints(on: connection, logger: logger)
        }
        var previous = (sequence: Int64(0), hash: AuditChain.genesis)
        if resume, let anchor = try await self.resumePoint(checkpoints: checkpoints, schema: schema, logger: logger) {
            previous = anchor
            result.resumedFromSequence = anchor.sequence
        }
        var pending = checkpoints.filter { $0.size > previous.sequence }.sorted { $0.size < $1.size }[...]
        walk: while true {
            let page = try await self.database.read(logger: logger) { [pageSize = self.pageSize, after = previous.sequence] connection in
                try await AuditTrailStore.sealedRows(after: after, limit: pageSize, on: connection, logger: logger)
            }
            for row in page {
                let sequence = row.seal.sequence
                var problem: String?
                if sequence != previous.sequence + 1 {
                    problem = "entries \(previous.sequence + 1) to \(sequence - 1) are missing from the chain: their seals were deleted"
                } else if let entry = row.entry {
                    problem = AuditChain.problem(
                        sequence: sequence, recordedAtMicros: entry.recordedAtMicros, record: entry.record, seal: row.seal, previousHash: previous.hash
                    )
                } else {
                    problem = "it is missing (entry id \(row.entryID)): it was deleted after it was sealed"
                }
                if problem == nil, let checkpoint = pending.first, checkpoint.size == sequence {
                    pending.removeFirst()
                    problem = self.problem(with: checkpoint, at: row.seal.hash, schema: schema)
                    result.checkpointsChecked += 1
                }
                if let problem {
                    result.firstBrokenSequence = sequence
                    result.problem = "entry \(sequence): \(problem)"
                    break walk
                }
                result.entriesChecked += 1
                previous = (sequence, row.seal.hash)
            }
            if page.count < self.pageSize { break }
        }
        result.headSequence = previous.sequence
        result.headHash = previous.hash
        if result.problem == nil, let beyond = pending.first {
            result.firstBrokenSequence = previous.sequence + 1
            result.problem = "the checkpoint signed for \(beyond.size) entries is beyond the chain's end at \(previous.sequence): sealed entries were removed"
        }
        let deadline = Timestamps.nowMicros() - self.sealingDeadline.components.seconds * 1_000_000
            - self.sealingDeadline.components.attoseconds / 1_000_000_000_000
        let (gaps, unsealed, overdue) = try await self.database.read(logger: logger) { connection in
            (
                try await Self.gaps(settled: deadline, on: connection, logger: logger),
                try await Self.unsealedCount(olderThan: nil, on: connection, logger: logger),
                try await Self.unsealedCount(olderThan: deadline, on: connection, logger: logger)
            )
        }
        result.gaps = gaps
        result.unsealed = unsealed
        result.overdueUnsealed = overdue
        if result.problem == nil, let first = gaps.first {
            result.problem = "entry ids \(first.lowerBound) to \(first.upperBound) are not in the trail: drawn by a write whose transaction "
                + "failed at commit (the service logs the ids as an error), skipped by a database crash, or deleted before the sealer reached them"
        }
        // The mark a resumed walk starts from needs the chain and its checkpoints to hold; a gap
        // is reported every time until someone explains it, but does not stop the walk moving on.
        if result.firstBrokenSequence == nil, result.headSequence > 0 {
            let (size, hash) = (result.headSequence, result.headHash)
            try await self.database.statement(logger: logger) { connection in
                try await connection.query(
                    "INSERT INTO audit_verifications (size, head_hash, verified_at_micros) VALUES (\(size), \(hash), \(Timestamps.nowMicros()))",
                    logger: logger
                )
            }
        }
        return result
    }

    /// Where a resumed walk starts: the newest checkpoint at or below what an earlier
    /// verification reached, provided its signature holds and the chain still has its hash there.
    private func resumePoint(checkpoints: [AuditCheckpoint], schema: String, logger: Logger) async throws -> (sequence: Int64, hash: String)? {
        let verified = try await self.database.read(logger: logger) { connection in
            var size: Int64 = 0
            for try await value in try await connection.query(
                "SELECT coalesce(max(size), 0) FROM audit_verifications", logger: logger
            ).decode(Int64.self) {
                size = value
            }
            return size
        }
        guard let anchor = checkpoints.filter({ $0.size <= verified }).max(by: { $0.size < $1.size }) else { return nil }
        let row = try await self.database.read(logger: logger) { connection in
            try await AuditTrailStore.sealedRows(after: anchor.size - 1, limit: 1, on: connection, logger: logger).first
        }
        guard let row, row.seal.sequence == anchor.size, let entry = row.entry,
              self.problem(with: anchor, at: row.seal.hash, schema: schema) == nil,
              AuditChain.problem(
                  sequence: anchor.size, recordedAtMicros: entry.recordedAtMicros, record: entry.record, seal: row.seal, previousHash: row.seal.previousHash
              ) == nil
        else {
            // The anchor itself no longer holds: walk everything, which says where.
            return nil
        }
        return (anchor.size, anchor.headHash)
    }

    private func problem(with checkpoint: AuditCheckpoint, at hash: String, schema: String) -> String? {
        if checkpoint.headHash != hash {
            return "the chain here no longer has the hash its checkpoint signed: it was rewritten after it was signed"
        }
        guard let checker = self.checker else { return nil }
        let statement = AuditCheckpoint.statement(
            schema: schema, size: checkpoint.size, headHash: checkpoint.headHash, signedAtMicros: checkpoint.signedAtMicros
        )
        return checker.problem(with: checkpoint, statement: statement).map { "its checkpoint does not hold: \($0)" }
    }

    /// The newest signed checkpoint, if any.
    public static func newestCheckpoint(in database: Database, logger: Logger) async throws -> AuditCheckpoint? {
        try await database.read(logger: logger) { connection in
            try await Self.checkpoints(on: connection, logger: logger, newestOnly: true).first
        }
    }

    static func checkpoints(on connection: PostgresConnection, logger: Logger, newestOnly: Bool = false) async throws -> [AuditCheckpoint] {
        let rows = try await connection.query(
            """
            SELECT size, head_hash, signed_at_micros, certificate_pem, signature FROM audit_checkpoints
            ORDER BY size DESC LIMIT \(newestOnly ? 1 : Int64.max)
            """,
            logger: logger
        )
        var checkpoints: [AuditCheckpoint] = []
        for try await (size, hash, signedAt, certificate, signature) in rows.decode((Int64, String, Int64, String, ByteBuffer).self) {
            checkpoints.append(
                AuditCheckpoint(
                    size: size, headHash: hash, signedAtMicros: signedAt, certificatePEM: certificate, signature: Array(signature.readableBytesView)
                )
            )
        }
        return checkpoints
    }

    /// Ranges of entry ids that no entry has, followed by an entry recorded before `settled`
    /// (a transaction that drew an id just now may still commit it), at most 100.
    private static func gaps(settled: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [ClosedRange<Int64>] {
        let rows = try await connection.query(
            """
            SELECT previous + 1, entry_id - 1 FROM (
                SELECT entry_id, recorded_at_micros, coalesce(lag(entry_id) OVER (ORDER BY entry_id), 0) AS previous FROM audit_trail
            ) ids WHERE entry_id > previous + 1 AND recorded_at_micros < \(settled) ORDER BY entry_id LIMIT 100
            """,
            logger: logger
        )
        var gaps: [ClosedRange<Int64>] = []
        for try await (from, to) in rows.decode((Int64, Int64).self) { gaps.append(from...to) }
        return gaps
    }

    private static func unsealedCount(olderThan micros: Int64?, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        // The whole trail, not only past the sealer's horizon: an entry the sealer skipped shows here.
        let rows = try await connection.query(
            """
            SELECT count(*) FROM audit_trail t
            WHERE NOT EXISTS (SELECT FROM audit_seals s WHERE s.entry_id = t.entry_id) AND recorded_at_micros < \(micros ?? Int64.max)
            """,
            logger: logger
        )
        for try await count in rows.decode(Int64.self) { return count }
        return 0
    }
}

/// What verifying an audit trail found.
public struct AuditVerification: Sendable, Equatable {
    public var entriesChecked: UInt64 = 0
    /// The first entry that does not hold, nil when the chain is intact.
    public var firstBrokenSequence: Int64?
    public var problem: String?
    /// The last entry that holds: its position and hash.
    public var headSequence: Int64 = 0
    public var headHash: String = AuditChain.genesis
    public var checkpointsChecked: UInt64 = 0
    /// Where a resumed walk began (0: from the start).
    public var resumedFromSequence: Int64 = 0
    /// Entry ids drawn but in no entry, at most 100 ranges.
    public var gaps: [ClosedRange<Int64>] = []
    /// Entries the sealer has not reached yet, and of those, how many past the deadline.
    public var unsealed: Int64 = 0
    public var overdueUnsealed: Int64 = 0

    /// The chain, its checkpoints and its ids hold.
    public var isIntact: Bool { self.firstBrokenSequence == nil && self.gaps.isEmpty }
}
