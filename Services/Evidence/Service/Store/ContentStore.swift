import ConformDomain
import ConformStorage
import Foundation
import Logging
import PostgresNIO

/// Evidence content, kept once per SHA-256 in chunks, so that neither storing nor serving a
/// file of any size needs more memory than a chunk.
enum ContentStore {
    /// Stores one chunk of an upload still arriving, in its own short transaction, so a slow
    /// upload never holds a connection.
    static func stage(upload: String, seq: Int, data: ByteBuffer, in database: Database, logger: Logger) async throws {
        _ = try await database.transaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO content_chunks (blob, seq, data, staged_at_micros)
                VALUES (\(Self.blob(upload)), \(seq), \(data), \(Timestamps.nowMicros()))
                """,
                logger: logger
            )
        }
    }

    /// Makes a complete upload the content `sha256`. If that content is stored already, the
    /// upload's chunks are dropped instead: content is kept once.
    ///
    /// - Returns: whether the content is new.
    static func commit(
        upload: String, sha256: String, size: Int64, chunks: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> Bool {
        let inserted = try await connection.query(
            """
            INSERT INTO contents (sha256, size, chunk_count, stored_at_micros)
            VALUES (\(sha256), \(size), \(chunks), \(Timestamps.nowMicros()))
            ON CONFLICT (sha256) DO NOTHING RETURNING sha256
            """,
            logger: logger
        )
        var isNew = false
        for try await _ in inserted { isNew = true }
        if isNew {
            let moved = try await connection.query(
                "UPDATE content_chunks SET blob = \(sha256) WHERE blob = \(Self.blob(upload)) RETURNING seq",
                logger: logger
            )
            var count = 0
            for try await _ in moved { count += 1 }
            guard count == chunks else {
                // The sweeper took an upload that had been silent too long: nothing is kept.
                throw DomainError.failedPrecondition(
                    "the upload's content arrived too slowly: \(chunks - count) of its \(chunks) chunks were swept as abandoned; upload it again"
                )
            }
        } else {
            try await connection.query("DELETE FROM content_chunks WHERE blob = \(Self.blob(upload))", logger: logger)
        }
        return isNew
    }

    /// Drops what arrived of an upload that failed.
    static func discard(upload: String, in database: Database, logger: Logger) async throws {
        _ = try await database.transaction(logger: logger) { connection in
            try await connection.query("DELETE FROM content_chunks WHERE blob = \(Self.blob(upload))", logger: logger)
        }
    }

    /// How many chunks the content has.
    static func chunkCount(sha256: String, in database: Database, logger: Logger) async throws -> Int {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query("SELECT chunk_count FROM contents WHERE sha256 = \(sha256)", logger: logger)
            for try await count in rows.decode(Int.self) { return count }
            throw DatabaseError(.failed, "content \(sha256) is missing")
        }
    }

    /// One chunk of stored content.
    static func chunk(sha256: String, seq: Int, in database: Database, logger: Logger) async throws -> ByteBuffer {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query("SELECT data FROM content_chunks WHERE blob = \(sha256) AND seq = \(seq)", logger: logger)
            for try await data in rows.decode(ByteBuffer.self) { return data }
            throw DatabaseError(.failed, "chunk \(seq) of content \(sha256) is missing")
        }
    }

    /// Drops uploads none of whose chunks arrived since `cutoffMicros`: left by a crash or a
    /// client that went away mid-upload. At most `limit` uploads at a time.
    ///
    /// - Returns: how many uploads and chunks went.
    static func sweepOrphanedUploads(stagedBefore cutoffMicros: Int64, limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> (uploads: Int, chunks: Int) {
        let rows = try await connection.query(
            """
            WITH orphans AS (
                SELECT blob FROM content_chunks WHERE blob LIKE 'upload:%'
                GROUP BY blob HAVING coalesce(max(staged_at_micros), 0) < \(cutoffMicros)
                LIMIT \(limit)
            ), gone AS (
                DELETE FROM content_chunks WHERE blob IN (SELECT blob FROM orphans) RETURNING blob
            )
            SELECT count(DISTINCT blob)::bigint, count(*)::bigint FROM gone
            """,
            logger: logger
        )
        for try await (uploads, chunks) in rows.decode((Int64, Int64).self) {
            return (Int(uploads), Int(chunks))
        }
        return (0, 0)
    }

    private static func blob(_ upload: String) -> String { "upload:\(upload)" }
}
