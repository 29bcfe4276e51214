import ConformDomain
import ConformService
import ConformStorage
import Foundation
import Logging
import PostgresNIO

/// Evidence items in the evidence schema. Rows are never updated: who superseded an item is
/// read from the item that names it.
enum ItemStore {
    static func insert(
        _ description: ItemDescription, sha256: String, size: Int64, satisfies: [String], concerns: [String], uploadedBy: String,
        uploaderCertifications: [String], on connection: PostgresConnection, logger: Logger
    ) async throws -> EvidenceItem {
        let micros = Timestamps.nowMicros()
        let metadata = JSONText.object(description.metadata)
        var id: Int64 = 0
        do {
            let rows = try await connection.query(
                """
                INSERT INTO evidence_items
                    (batch, kind, type, media_type, file_name, sha256, size, metadata, satisfies, concerns, uploaded_by, uploaded_at_micros,
                     uploader_certifications, supersedes, correction_reason)
                VALUES (\(description.batch), \(description.kind.rawValue), \(description.type), \(description.mediaType), \(description.fileName),
                        \(sha256), \(size), \(metadata), \(satisfies), \(concerns), \(uploadedBy), \(micros), \(uploaderCertifications),
                        \(description.supersedes), \(description.correctionReason))
                RETURNING id
                """,
                logger: logger
            )
            // The row's errors arrive with the rows.
            for try await value in rows.decode(Int64.self) { id = value }
        } catch let error as PSQLError where DatabaseError(classifying: error).kind == .uniqueViolation {
            throw DomainError.failedPrecondition("item \(description.supersedes ?? 0) is corrected already; correct the item that superseded it")
        }
        return EvidenceItem(
            id: id, description: description, sha256: sha256, size: size, satisfies: satisfies, concerns: concerns, uploadedBy: uploadedBy,
            uploadedAtMicros: micros, uploaderCertifications: uploaderCertifications, supersededBy: nil
        )
    }

    static func find(_ id: Int64, in database: Database, logger: Logger) async throws -> EvidenceItem? {
        try await database.read(logger: logger) { connection in
            try await Self.load(id: id, batch: nil, on: connection, logger: logger).first
        }
    }

    /// A batch's items in upload order after item `after` (from the first when nil), at most
    /// `limit` (all when nil); superseded ones only when asked.
    static func list(
        batch: String, includeSuperseded: Bool, after: Int64? = nil, limit: Int? = nil, in database: Database, logger: Logger
    ) async throws -> [EvidenceItem] {
        try await database.read(logger: logger) { connection in
            try await Self.load(id: nil, batch: batch, currentOnly: !includeSuperseded, after: after, limit: limit, on: connection, logger: logger)
        }
    }

    private static func load(
        id: Int64?, batch: String?, currentOnly: Bool = false, after: Int64? = nil, limit: Int? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws -> [EvidenceItem] {
        let rows = try await connection.query(
            """
            SELECT i.id, i.batch, i.kind, i.type, i.media_type, i.file_name, i.sha256, i.size, i.metadata, i.satisfies, i.uploaded_by,
                   i.uploaded_at_micros, i.uploader_certifications, i.supersedes, i.correction_reason, s.id, i.concerns
            FROM evidence_items i LEFT JOIN evidence_items s ON s.supersedes = i.id
            WHERE (\(id)::bigint IS NULL OR i.id = \(id)) AND (\(batch)::text IS NULL OR i.batch = \(batch))
              AND (NOT \(currentOnly) OR s.id IS NULL) AND (\(after)::bigint IS NULL OR i.id > \(after))
            ORDER BY i.id
            LIMIT \(limit)
            """,
            logger: logger
        )
        var items: [EvidenceItem] = []
        for try await row in rows {
            let (id, batch, kind, type, mediaType, fileName, sha256, size, metadata, satisfies, uploadedBy, micros, certifications, supersedes, reason, successor, concerns) =
                try row.decode((Int64, String, String, String, String, String, String, Int64, String, [String], String, Int64, [String], Int64?, String, Int64?, [String]).self)
            guard let kind = EvidenceKind(rawValue: kind) else { throw DatabaseError(.failed, "evidence item \(id) has an unknown kind") }
            let fields = try JSONDecoder().decode([String: String].self, from: Data(metadata.utf8))
            items.append(EvidenceItem(
                id: id,
                description: ItemDescription(
                    batch: batch, kind: kind, type: type, mediaType: mediaType, fileName: fileName, metadata: fields,
                    supersedes: supersedes, correctionReason: reason
                ),
                sha256: sha256, size: size, satisfies: satisfies, concerns: concerns, uploadedBy: uploadedBy, uploadedAtMicros: micros,
                uploaderCertifications: certifications, supersededBy: successor
            ))
        }
        return items
    }
}
