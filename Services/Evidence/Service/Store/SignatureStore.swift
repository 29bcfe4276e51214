import ConformDomain
import ConformStorage
import Foundation
import Logging
import PostgresNIO

/// Electronic signatures in the evidence schema; never updated or deleted.
enum SignatureStore {
    /// Records a signature; the same signed manifest again returns the first record.
    static func insert(
        _ manifest: SignatureManifest, signature: Data, keyFingerprint: String, rolesHeld: [String], certificationsHeld: [String],
        on connection: PostgresConnection, logger: Logger
    ) async throws -> (record: SignatureRecord, isNew: Bool) {
        let rows = try await connection.query(
            """
            INSERT INTO signatures
                (target, digest, meaning, signer, printed_name, signed_at_micros, roles_held, certifications_held, manifest, signature,
                 key_fingerprint, recorded_at_micros)
            VALUES (\(manifest.target), \(manifest.digest), \(manifest.meaning.rawValue), \(manifest.signer), \(manifest.printedName),
                    \(manifest.signedAtMicros), \(rolesHeld), \(certificationsHeld), \(manifest.text), \(ByteBuffer(bytes: signature)),
                    \(keyFingerprint), \(Timestamps.nowMicros()))
            ON CONFLICT (signer, target, meaning, signed_at_micros) DO NOTHING
            RETURNING id
            """,
            logger: logger
        )
        for try await id in rows.decode(Int64.self) {
            let record = SignatureRecord(
                id: id, target: manifest.target, manifest: manifest, signature: signature, keyFingerprint: keyFingerprint,
                rolesHeld: rolesHeld, certificationsHeld: certificationsHeld
            )
            return (record, true)
        }
        let existing = try await Self.load(id: nil, targets: [manifest.target], manifest: manifest.text, on: connection, logger: logger)
        guard let first = existing.first else {
            throw DatabaseError(.failed, "signature of \(manifest.signer) on \(manifest.target) vanished")
        }
        guard first.signature == signature else {
            throw DomainError.alreadyExists("\(manifest.signer) already signed \(manifest.target) at that instant with another signature")
        }
        return (first, false)
    }

    /// The signature recorded from exactly this manifest and these signature bytes, if any:
    /// what makes signing again with the same request answer the same signature.
    static func find(manifest: SignatureManifest, signature: Data, in database: Database, logger: Logger) async throws -> SignatureRecord? {
        try await database.read(logger: logger) { connection in
            try await Self.find(manifest: manifest, signature: signature, on: connection, logger: logger)
        }
    }

    static func find(manifest: SignatureManifest, signature: Data, on connection: PostgresConnection, logger: Logger) async throws -> SignatureRecord? {
        try await Self.load(id: nil, targets: [manifest.target], manifest: manifest.text, on: connection, logger: logger)
            .first { $0.signature == signature }
    }

    static func find(_ id: Int64, in database: Database, logger: Logger) async throws -> SignatureRecord? {
        try await database.read(logger: logger) { connection in
            try await Self.load(id: id, targets: nil, on: connection, logger: logger).first
        }
    }

    /// The signatures on these records, oldest first, after signature `after` (from the first
    /// when nil), at most `limit` (all when nil).
    static func list(targets: [String], after: Int64? = nil, limit: Int? = nil, in database: Database, logger: Logger) async throws -> [SignatureRecord] {
        try await database.read(logger: logger) { connection in
            try await Self.load(id: nil, targets: targets, after: after, limit: limit, on: connection, logger: logger)
        }
    }

    private static func load(
        id: Int64?, targets: [String]?, manifest: String? = nil, after: Int64? = nil, limit: Int? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws -> [SignatureRecord] {
        let rows = try await connection.query(
            """
            SELECT id, manifest, signature, key_fingerprint, roles_held, certifications_held, target FROM signatures
            WHERE (\(id)::bigint IS NULL OR id = \(id)) AND (\(targets)::text[] IS NULL OR target = ANY(\(targets)))
              AND (\(manifest)::text IS NULL OR manifest = \(manifest)) AND (\(after)::bigint IS NULL OR id > \(after))
            ORDER BY id
            LIMIT \(limit)
            """,
            logger: logger
        )
        var records: [SignatureRecord] = []
        for try await (id, text, signature, fingerprint, roles, certifications, target) in rows.decode(
            (Int64, String, ByteBuffer, String, [String], [String], String).self
        ) {
            // The row's target is what a tamperer would change to move a signature; the
            // manifest is what was signed. Verification compares the two.
            records.append(SignatureRecord(
                id: id, target: target, manifest: try SignatureManifest.parse(text), signature: Data(signature.readableBytesView), keyFingerprint: fingerprint,
                rolesHeld: roles, certificationsHeld: certifications
            ))
        }
        return records
    }
}
