public import Foundation
public import Logging
public import PostgresNIO

/// Idempotency keys of retried writes, kept in the write's own transaction so that the
/// answer stored and the state written can never disagree.
public enum IdempotencyStore {
    /// What a key says about a write about to run.
    public enum Claim: Sendable, Equatable {
        /// First use: run the write, and store its answer under the key (`WriteRecords`).
        case new
        /// This write already ran: here is its answer, serialized.
        case replay(Data)
    }

    /// Claims `key` for this principal. A concurrent first use of the same key waits here
    /// until that transaction ends, then sees its answer.
    ///
    /// - Throws: `IdempotencyKeyReused` when the key was used for a different request.
    public static func claim(
        principal: String,
        key: String,
        method: String,
        requestDigest: Data,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Claim {
        let inserted = try await connection.query(
            """
            INSERT INTO idempotency_keys (principal, key, method, request_sha256)
            VALUES (\(principal), \(key), \(method), \(requestDigest))
            ON CONFLICT (principal, key) DO NOTHING
            RETURNING key
            """,
            logger: logger
        )
        for try await _ in inserted { return .new }
        let rows = try await connection.query(
            "SELECT method, request_sha256, response FROM idempotency_keys WHERE principal = \(principal) AND key = \(key)",
            logger: logger
        )
        for try await (storedMethod, storedDigest, response) in rows.decode((String, Data, Data?).self) {
            guard storedMethod == method, storedDigest == requestDigest, let response else {
                throw IdempotencyKeyReused(key: key, firstMethod: storedMethod)
            }
            return .replay(response)
        }
        // The row vanished between the two statements: only an expiry sweep does that.
        return .new
    }
}

extension IdempotencyStore {
    /// The answer stored under `key`, read without claiming it: nil when the key is new.
    ///
    /// - Throws: `IdempotencyKeyReused` when the key was used for a different request.
    public static func answer(
        principal: String, key: String, method: String, requestDigest: Data, on connection: PostgresConnection, logger: Logger
    ) async throws -> Data? {
        let rows = try await connection.query(
            "SELECT method, request_sha256, response FROM idempotency_keys WHERE principal = \(principal) AND key = \(key)",
            logger: logger
        )
        for try await (storedMethod, storedDigest, response) in rows.decode((String, Data, Data?).self) {
            guard storedMethod == method, storedDigest == requestDigest else {
                throw IdempotencyKeyReused(key: key, firstMethod: storedMethod)
            }
            return response
        }
        return nil
    }
}

/// An idempotency key sent again with a different request.
public struct IdempotencyKeyReused: Error, CustomStringConvertible, Sendable {
    public let key: String
    public let firstMethod: String

    public var description: String {
        "idempotency key '\(self.key)' was already used for a different request (\(self.firstMethod)); "
            + "use a new key for a new request, and the same key only to retry the same request"
    }
}

extension IdempotencyStore {
    /// Deletes at most `limit` keys created before `cutoffMicros`; returns how many.
    public static func expire(createdBefore cutoffMicros: Int64, limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            """
            WITH gone AS (
                DELETE FROM idempotency_keys WHERE ctid IN (
                    SELECT ctid FROM idempotency_keys
                    WHERE created_at < to_timestamp(\(Double(cutoffMicros) / 1_000_000)) LIMIT \(limit)
                ) RETURNING 1
            )
            SELECT count(*)::bigint FROM gone
            """,
            logger: logger
        )
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }
}
