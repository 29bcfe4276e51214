import ConformDomain
import ConformProtos
import ConformStorage
import Foundation
import Logging
import PostgresNIO

/// Where a release stands.
enum ReleaseState: String, Sendable {
    case requested, signed, released, abandoned

    var isInFlight: Bool { self == .requested || self == .signed }
}

/// One release of a batch: the request it came from, and how far it got.
struct PendingRelease: Sendable, Equatable {
    var id: Int64
    var batch: String
    var state: ReleaseState
    var manifest: String
    var signature: Data
    var recordDigest: String
    var basis: String
    var warnings: [String]
    var signatureID: Int64?
    var requestedBy: String
    var requestedAtMicros: Int64
    var updatedAtMicros: Int64
    var problem: String
    /// Failed attempts of the reconciler to finish it.
    var attempts: Int = 0

    /// The request it came from, as a retry would send it.
    var request: Conform_Batch_V1_ReleaseRequest {
        .with {
            $0.number = self.batch
            $0.manifest = self.manifest
            $0.signature = self.signature
        }
    }

    var message: Conform_Batch_V1_ReleaseRecord {
        .with {
            $0.id = UInt64(self.id)
            $0.batch = self.batch
            $0.state = switch self.state {
            case .requested: .requested
            case .signed: .signed
            case .released: .released
            case .abandoned: .abandoned
            }
            $0.signatureID = UInt64(self.signatureID ?? 0)
            $0.requestedBy = self.requestedBy
            $0.requestedAtMicros = self.requestedAtMicros
            $0.problem = self.problem
            $0.basis = self.basis
        }
    }
}

/// Releases in the batch schema.
enum ReleaseStore {
    private static let columns = """
        id, batch, state, manifest, signature, record_digest, basis, warnings, signature_id, requested_by, requested_at_micros,
        updated_at_micros, problem, attempts
        """

    /// Records a release as requested. The batch must be locked by the caller.
    static func insert(
        batch: String, manifest: String, signature: Data, recordDigest: String, basis: String, warnings: [String], by principal: String,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> PendingRelease {
        let now = Timestamps.nowMicros()
        let rows = try await connection.query(
            """
            INSERT INTO releases (batch, state, manifest, signature, record_digest, basis, warnings, requested_by, requested_at_micros, updated_at_micros)
            VALUES (\(batch), 'requested', \(manifest), \(ByteBuffer(bytes: signature)), \(recordDigest), \(basis),
                    \(warnings.joined(separator: "\n")), \(principal), \(now), \(now))
            RETURNING \(unescaped: Self.columns)
            """,
            logger: logger
        )
        guard let release = try await Self.decode(rows).first else { throw DatabaseError(.failed, "the release of \(batch) was not recorded") }
        return release
    }

    /// The release made from exactly this manifest and signature, if there is one.
    static func find(batch: String, manifest: String, signature: Data, in database: Database, logger: Logger) async throws -> PendingRelease? {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM releases WHERE batch = \(batch) AND manifest = \(manifest) ORDER BY id DESC",
                logger: logger
            )
            return try await Self.decode(rows).first { $0.signature == signature }
        }
    }

    /// The release `id`, as it stands.
    static func find(id: Int64, on connection: PostgresConnection, logger: Logger) async throws -> PendingRelease? {
        let rows = try await connection.query("SELECT \(unescaped: Self.columns) FROM releases WHERE id = \(id)", logger: logger)
        return try await Self.decode(rows).first
    }

    /// The release `id`, locked for the step that follows.
    static func lock(_ id: Int64, on connection: PostgresConnection, logger: Logger) async throws -> PendingRelease? {
        let rows = try await connection.query("SELECT \(unescaped: Self.columns) FROM releases WHERE id = \(id) FOR UPDATE", logger: logger)
        return try await Self.decode(rows).first
    }

    /// Moves release `id` on: to signed with its signature, or to released or abandoned.
    static func advance(
        _ id: Int64, to state: ReleaseState, signature: Int64? = nil, problem: String = "", on connection: PostgresConnection, logger: Logger
    ) async throws -> PendingRelease {
        let rows = try await connection.query(
            """
            UPDATE releases SET state = \(state.rawValue), signature_id = coalesce(\(signature), signature_id), problem = \(problem),
                updated_at_micros = \(Timestamps.nowMicros())
            WHERE id = \(id) RETURNING \(unescaped: Self.columns)
            """,
            logger: logger
        )
        guard let release = try await Self.decode(rows).first else { throw DatabaseError(.failed, "release \(id) vanished") }
        return release
    }

    /// Releases in flight whose last step is older than `micros`: cut short, to be finished,
    /// the longest waiting first.
    static func stalled(before micros: Int64, limit: Int, in database: Database, logger: Logger) async throws -> [PendingRelease] {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM releases
                WHERE state IN ('requested', 'signed') AND updated_at_micros < \(micros)
                ORDER BY updated_at_micros LIMIT \(limit)
                """,
                logger: logger
            )
            return try await Self.decode(rows)
        }
    }

    /// Notes a failed attempt to finish release `id`: counted, with its error, and put at the
    /// back of the queue (`backoff` later), so one that keeps failing does not hold up the others.
    static func noteFailedAttempt(_ id: Int64, error: String, backoff: Int64, in database: Database, logger: Logger) async throws -> Int {
        try await database.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                UPDATE releases SET attempts = attempts + 1, problem = \(error), updated_at_micros = \(Timestamps.nowMicros() + backoff)
                WHERE id = \(id) AND state IN ('requested', 'signed') RETURNING attempts
                """,
                logger: logger
            )
            for try await attempts in rows.decode(Int32.self) { return Int(attempts) }
            return 0
        }
    }

    /// Whether batch `number` has any release on record.
    static func any(batch number: String, on connection: PostgresConnection, logger: Logger) async throws -> Int64? {
        let rows = try await connection.query("SELECT id FROM releases WHERE batch = \(number) ORDER BY id DESC LIMIT 1", logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        return nil
    }

    private static func decode(_ rows: PostgresRowSequence) async throws -> [PendingRelease] {
        var releases: [PendingRelease] = []
        for try await row in rows {
            let (id, batch, state, manifest, signature, digest, basis, warnings, signatureID, by, requestedAt, updatedAt, problem, attempts) = try row.decode(
                (Int64, String, String, String, ByteBuffer, String, String, String, Int64?, String, Int64, Int64, String, Int32).self
            )
            guard let state = ReleaseState(rawValue: state) else { throw DatabaseError(.failed, "release \(id) has an unknown state") }
            releases.append(PendingRelease(
                id: id, batch: batch, state: state, manifest: manifest, signature: Data(signature.readableBytesView), recordDigest: digest,
                basis: basis, warnings: warnings.isEmpty ? [] : warnings.split(separator: "\n").map(String.init), signatureID: signatureID,
                requestedBy: by, requestedAtMicros: requestedAt, updatedAtMicros: updatedAt, problem: problem, attempts: Int(attempts)
            ))
        }
        return releases
    }
}
