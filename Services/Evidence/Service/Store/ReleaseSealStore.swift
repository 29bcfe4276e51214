import ConformDomain
import ConformStorage
import Logging
import PostgresNIO

/// Release seals: after a batch's release signature, its evidence is closed for good.
enum ReleaseSealStore {
    /// Serialises, per batch, what adds to its evidence and what seals it: both take this
    /// lock in their transaction (no network I/O is done while it is held).
    static func lock(batch: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("conform.evidence.batch:" + batch)))", logger: logger)
    }

    /// Refuses when `batch` is sealed. Called under `lock`, in the transaction that adds.
    static func checkUnsealed(batch: String, on connection: PostgresConnection, logger: Logger) async throws {
        if let signature = try await Self.seal(of: batch, on: connection, logger: logger) {
            throw Self.sealed(batch, by: signature)
        }
    }

    /// The release signature that sealed `batch`, if one has.
    static func seal(of batch: String, on connection: PostgresConnection, logger: Logger) async throws -> Int64? {
        let rows = try await connection.query("SELECT signature_id FROM release_seals WHERE batch = \(batch)", logger: logger)
        for try await signature in rows.decode(Int64.self) { return signature }
        return nil
    }

    /// Whether signature `id` sealed a batch.
    static func sealed(by id: Int64, in database: Database, logger: Logger) async throws -> Bool {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query("SELECT 1 FROM release_seals WHERE signature_id = \(id)", logger: logger)
            for try await _ in rows { return true }
            return false
        }
    }

    static func sealed(_ batch: String, by signature: Int64) -> DomainError {
        .failedPrecondition("batch \(batch) was released meanwhile (release signature \(signature)); its record is read-only and takes no more evidence or signatures")
    }

    /// The batch's current evidence and the signatures on it and on the batch, as
    /// `ReleaseBasis` fingerprints them.
    static func basis(batch: String, on connection: PostgresConnection, logger: Logger) async throws -> String {
        let rows = try await connection.query(
            """
            WITH current AS (
                SELECT i.id FROM evidence_items i
                WHERE i.batch = \(batch) AND NOT EXISTS (SELECT 1 FROM evidence_items s WHERE s.supersedes = i.id)
            )
            SELECT ARRAY(SELECT id FROM current ORDER BY id),
                   ARRAY(SELECT g.id FROM signatures g
                         WHERE g.target = \("batch:" + batch) OR g.target IN (SELECT 'evidence:' || id FROM current) ORDER BY g.id)
            """,
            logger: logger
        )
        for try await (items, signatures) in rows.decode(([Int64], [Int64]).self) {
            return ReleaseBasis.fingerprint(items: items, signatures: signatures)
        }
        return ReleaseBasis.fingerprint(items: [], signatures: [])
    }

    static func insert(batch: String, signature: Int64, recordDigest: String, basis: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO release_seals (batch, signature_id, record_digest, basis, sealed_at_micros)
            VALUES (\(batch), \(signature), \(recordDigest), \(basis), \(Timestamps.nowMicros()))
            """,
            logger: logger
        )
    }
}
