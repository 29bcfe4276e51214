import Foundation
public import Logging
public import PostgresNIO

/// Orders what writers inserted without a lock, after it commits: chains audit entries
/// (`audit_seals`) and gives events their feed positions (`outbox.position`), in batches,
/// the way Trillian's sequencer integrates queued leaves.
///
/// What makes it safe: a position is handed out only to what has committed, by one round at
/// a time (an advisory lock that only sealers take, so two replicas' sealers never hand out
/// a position twice); the request path takes no lock at all. Something that commits after a
/// round gets a later position, so nothing ever appears below a position handed out, and a
/// long transaction holds back nobody's entries but its own.
///
/// To find unsealed entries without searching the whole trail, each seal records a horizon:
/// a transaction id below which every committed entry is sealed. It is the oldest
/// transaction still running in the cluster when the round began (PostgreSQL's snapshot
/// xmin), so no entry can commit below it later; a round looks at entries of transactions
/// from the last horizon on, and moves the horizon up once it has sealed all it found. A long
/// transaction elsewhere only widens where a round looks; it delays no entry's sealing.
public struct Sealer: Sendable {
    public let database: Database
    /// At most this many entries, and this many events, per round.
    public var batchSize: Int

    public init(database: Database, batchSize: Int = 1_000) {
        self.database = database
        self.batchSize = batchSize
    }

    /// The chain's last sealed entry.
    public struct Head: Sendable, Equatable {
        /// Its position: the chain's length.
        public var sequence: Int64
        public var hash: String
        /// Every committed entry of a transaction below this id is sealed.
        var sealedBelowTxid: Int64

        static let empty = Head(sequence: 0, hash: AuditChain.genesis, sealedBelowTxid: 0)
    }

    /// What one round did.
    public struct Round: Sendable {
        public var sealedEntries: Int
        public var positionedEvents: Int
        public var head: Head
        /// More was waiting than one round takes.
        public var isBehind: Bool
        /// A signed checkpoint of `head` was written.
        public var checkpointed: Bool
    }

    /// Seals what has committed since the last round and returns what it did. With a
    /// `signer`, also writes a signed checkpoint of the new head when the chain has grown
    /// past the last checkpoint.
    public func round(checkpointWith signer: (any CheckpointSigning)? = nil, logger: Logger) async throws -> Round {
        let batchSize = self.batchSize
        let schema = self.database.settings.schema
        return try await self.database.transaction(logger: logger, signalling: false) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.sealer'))", logger: logger)
            // Read after the lock, so the head is the last round's; this transaction has no id yet.
            var (horizon, head) = try await Self.horizonAndHead(on: connection, logger: logger)
            let entries = try await Self.unsealedEntries(from: head.sealedBelowTxid, limit: batchSize, on: connection, logger: logger)
            let sealedBelow = Self.sealedBelow(after: entries, batchSize: batchSize, horizon: horizon, previous: head.sealedBelowTxid)
            if !entries.isEmpty {
                head = try await Self.seal(entries, after: head, sealedBelow: sealedBelow, on: connection, logger: logger)
            }
            let positioned = try await Self.positionEvents(limit: batchSize, on: connection, logger: logger)
            if positioned > 0 {
                // Sent at commit by this one transaction only: writers never NOTIFY, which
                // would serialise their commits on PostgreSQL's notification queue lock.
                try await connection.query("SELECT pg_notify(\(FeedSignal.channel(schema: schema)), '')", logger: logger)
            }
            var checkpointed = false
            if let signer, head.sequence > 0 {
                checkpointed = try await Self.checkpointIfGrown(head, schema: schema, signer: signer, on: connection, logger: logger)
            }
            return Round(
                sealedEntries: entries.count,
                positionedEvents: positioned,
                head: head,
                isBehind: entries.count == batchSize || positioned == batchSize,
                checkpointed: checkpointed
            )
        }
    }

    /// The last sealed entry, or the empty chain.
    static func head(on connection: PostgresConnection, logger: Logger) async throws -> Head {
        let rows = try await connection.query(
            "SELECT sequence, hash, sealed_below_txid FROM audit_seals ORDER BY sequence DESC LIMIT 1",
            logger: logger
        )
        for try await (sequence, hash, below) in rows.decode((Int64, String, Int64).self) {
            return Head(sequence: sequence, hash: hash, sealedBelowTxid: below)
        }
        return .empty
    }

    /// The oldest transaction id still running anywhere in the cluster (this one has none
    /// yet), or the next to be given out when none is: no entry can commit below it later;
    /// and the chain's head. One round trip: a round's cost is mostly its statements.
    static func horizonAndHead(on connection: PostgresConnection, logger: Logger) async throws -> (Int64, Head) {
        let rows = try await connection.query(
            """
            SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, h.sequence, h.hash, h.sealed_below_txid
            FROM (SELECT 1) AS one
            LEFT JOIN (SELECT sequence, hash, sealed_below_txid FROM audit_seals ORDER BY sequence DESC LIMIT 1) AS h ON true
            """,
            logger: logger
        )
        for try await (xmin, sequence, hash, below) in rows.decode((Int64, Int64?, String?, Int64?).self) {
            guard let sequence, let hash, let below else { return (xmin, .empty) }
            return (xmin, Head(sequence: sequence, hash: hash, sealedBelowTxid: below))
        }
        return (0, .empty)
    }

    /// The horizon a round may record. With all it found sealed, the cluster's horizon. With
    /// more waiting than one round takes, the transaction of the last entry it sealed: every
    /// committed entry of an earlier transaction came before it in (txid, id) order, so the next
    /// round searches from there instead of from the old horizon again (a backlog would
    /// otherwise be searched once per round, quadratically). Never above the cluster's
    /// horizon, below which no transaction can still commit.
    static func sealedBelow(after entries: [Committed], batchSize: Int, horizon: Int64, previous: Int64) -> Int64 {
        guard entries.count >= batchSize, let last = entries.last else { return max(horizon, previous) }
        return max(min(last.txid, horizon), previous)
    }

    struct Committed {
        var entryID: Int64
        var txid: Int64
        var recordedAtMicros: Int64
        var record: AuditRecord
    }

    /// Committed entries not yet sealed, of transactions from `txid` on, in (txid, id) order.
    static func unsealedEntries(from txid: Int64, limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [Committed] {
        let rows = try await connection.query(
            """
            SELECT entry_id, txid, recorded_at_micros, principal, action, outcome, object, detail, request_id FROM audit_trail t
            WHERE txid >= \(txid) AND NOT EXISTS (SELECT FROM audit_seals s WHERE s.entry_id = t.entry_id)
            ORDER BY txid, entry_id LIMIT \(limit)
            """,
            logger: logger
        )
        var entries: [Committed] = []
        for try await (entryID, txid, recordedAt, principal, action, outcome, object, detail, requestID) in rows.decode(
            (Int64, Int64, Int64, String, String, String, String, String, String).self
        ) {
            let record = AuditRecord(
                principal: principal, action: action, outcome: AuditRecord.Outcome(rawValue: outcome), object: object, detail: detail, requestID: requestID
            )
            entries.append(Committed(entryID: entryID, txid: txid, recordedAtMicros: recordedAt, record: record))
        }
        return entries
    }

    private static func seal(
        _ entries: [Committed], after head: Head, sealedBelow: Int64, on connection: PostgresConnection, logger: Logger
    ) async throws -> Head {
        let now = Timestamps.nowMicros()
        var sequences: [Int64] = [], previous: [String] = [], hashes: [String] = []
        var last = head
        for entry in entries {
            let sequence = last.sequence + 1
            let hash = AuditChain.hash(sequence: sequence, recordedAtMicros: entry.recordedAtMicros, record: entry.record, previousHash: last.hash)
            sequences.append(sequence)
            previous.append(last.hash)
            hashes.append(hash)
            last = Head(sequence: sequence, hash: hash, sealedBelowTxid: sealedBelow)
        }
        try await connection.query(
            """
            INSERT INTO audit_seals (sequence, entry_id, sealed_below_txid, sealed_at_micros, previous_hash, hash)
            SELECT s, e, \(sealedBelow), \(now), p, h FROM unnest(\(sequences)::bigint[], \(entries.map(\.entryID))::bigint[],
                \(previous)::text[], \(hashes)::text[]) AS u(s, e, p, h)
            """,
            logger: logger
        )
        return last
    }

    /// Events need no horizon: a position is handed out only to an event already committed,
    /// by one round at a time, so one that commits later simply gets a later position.
    private static func positionEvents(limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            """
            WITH top AS (SELECT coalesce(max(position), 0) AS position FROM outbox),
            waiting AS (
                SELECT id, row_number() OVER (ORDER BY txid, id) AS n FROM outbox
                WHERE position IS NULL ORDER BY txid, id LIMIT \(limit))
            UPDATE outbox SET position = top.position + waiting.n FROM waiting, top WHERE outbox.id = waiting.id
            RETURNING 1
            """,
            logger: logger
        )
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }

    private static func checkpointIfGrown(
        _ head: Head, schema: String, signer: any CheckpointSigning, on connection: PostgresConnection, logger: Logger
    ) async throws -> Bool {
        var lastSize: Int64 = 0
        for try await size in try await connection.query("SELECT coalesce(max(size), 0) FROM audit_checkpoints", logger: logger).decode(Int64.self) {
            lastSize = size
        }
        guard head.sequence > lastSize else { return false }
        let checkpoint = try AuditCheckpoint.signed(schema: schema, size: head.sequence, headHash: head.hash, by: signer)
        try await connection.query(
            """
            INSERT INTO audit_checkpoints (size, head_hash, signed_at_micros, certificate_pem, signature)
            VALUES (\(checkpoint.size), \(checkpoint.headHash), \(checkpoint.signedAtMicros), \(checkpoint.certificatePEM), \(Data(checkpoint.signature)))
            """,
            logger: logger
        )
        return true
    }
}
