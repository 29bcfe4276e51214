import ConformDomain
import ConformStorage
import Foundation
import Logging
import PostgresNIO

/// A batch as stored: the domain batch and its bookkeeping.
struct StoredBatch: Sendable {
    struct Amendment: Sendable {
        var number: Int
        var reason: String
        var changes: [String]
        var amendedBy: String
        var amendedAtMicros: Int64
        /// The record's digest before and after it ("" for amendments from before they were kept).
        var digestBefore: String
        var digestAfter: String
    }

    var batch: Batch
    var createdAtMicros: Int64
    var createdBy: String
    var completedAtMicros: Int64?
    var completedBy: String?
    var completionReason: String
    var releaseSignature: Int64?
    var amendments: [Amendment]
    var fieldProvenance: [String: (by: String, atMicros: Int64)]
    /// The release in flight (requested or signed), during which the batch changes no more.
    var releaseInFlight: Int64?

    /// For a completed record that was amended: the digests it had before each amendment (as
    /// completed, then after each amendment but the latest). Signatures made on them stay
    /// valid for that revision.
    var earlierDigests: [String] {
        self.amendments.map(\.digestBefore).filter { !$0.isEmpty }
    }
}

/// Batches and their records in the batch schema. The requirement snapshot is written once
/// and never updated.
enum BatchStore {
    static func insert(_ batch: Batch, by principal: String, on connection: PostgresConnection, logger: Logger) async throws {
        let snapshot = String(decoding: try JSONEncoder().encode(batch.requirements), as: UTF8.self)
        do {
            try await connection.query(
                """
                INSERT INTO batches (number, product, customer, order_reference, manufacture_date, quantity, status, consolidated,
                                     requirements, created_at_micros, created_by)
                VALUES (\(batch.number), \(batch.product), \(batch.customer), \(batch.orderReference), \(batch.manufactureDate.description)::date,
                        \(batch.quantity), 'open', \(batch.consolidated), \(snapshot), \(Timestamps.nowMicros()), \(principal))
                """,
                logger: logger
            )
        } catch let error as PSQLError where DatabaseError(classifying: error).kind == .uniqueViolation {
            throw DomainError.alreadyExists("batch \(batch.number) exists already; GetBatch shows it")
        }
    }

    /// The batch, read in the caller's transaction and locked against concurrent changes.
    static func findForUpdate(_ number: String, on connection: PostgresConnection, logger: Logger) async throws -> StoredBatch? {
        try await Self.load(number: number, customer: nil, product: nil, lock: true, on: connection, logger: logger).first
    }

    static func find(_ number: String, in database: Database, logger: Logger) async throws -> StoredBatch? {
        try await database.read(logger: logger) { connection in
            try await Self.load(number: number, customer: nil, product: nil, lock: false, on: connection, logger: logger).first
        }
    }

    /// Batches in number order after `after` (from the first when nil), at most `limit`.
    static func list(customer: String?, product: String?, after: String?, limit: Int, in database: Database, logger: Logger) async throws -> [StoredBatch] {
        try await database.read(logger: logger) { connection in
            try await Self.load(number: nil, customer: customer, product: product, after: after, limit: limit, lock: false, on: connection, logger: logger)
        }
    }

    static func setFields(_ values: [String: String], of batch: String, by principal: String, on connection: PostgresConnection, logger: Logger) async throws {
        let micros = Timestamps.nowMicros()
        let fields = values.sorted { $0.key < $1.key }
        try await connection.query(
            """
            INSERT INTO batch_fields (batch, name, value, recorded_by, recorded_at_micros)
            SELECT \(batch), n, v, \(principal), \(micros) FROM unnest(\(fields.map(\.key))::text[], \(fields.map(\.value))::text[]) AS t(n, v)
            ON CONFLICT (batch, name) DO UPDATE SET value = EXCLUDED.value, recorded_by = EXCLUDED.recorded_by,
                recorded_at_micros = EXCLUDED.recorded_at_micros
            """,
            logger: logger
        )
    }

    static func insertSerials(_ serials: [Serial], of batch: String, on connection: PostgresConnection, logger: Logger) async throws {
        // One statement for the whole batch: unnest keeps it a single round trip.
        try await connection.query(
            """
            INSERT INTO serials (serial, batch, qr_payload)
            SELECT s, \(batch), q FROM unnest(\(serials.map(\.serial))::text[], \(serials.map(\.qrPayload))::text[]) AS t(s, q)
            """,
            logger: logger
        )
    }

    static func addLots(_ lots: [String], to batch: String, by principal: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO batch_lots (batch, lot, recorded_by, recorded_at_micros)
            SELECT \(batch), lot, \(principal), \(Timestamps.nowMicros()) FROM unnest(\(lots)::text[]) AS t(lot)
            """,
            logger: logger
        )
    }

    static func setNfcTags(_ tags: [String: String], on connection: PostgresConnection, logger: Logger) async throws {
        // One statement however many units: a batch can hold 100,000.
        let pairs = Array(tags)
        try await connection.query(
            """
            UPDATE serials AS s SET nfc_tag = t.tag
            FROM unnest(\(pairs.map(\.key))::text[], \(pairs.map(\.value))::text[]) AS t(serial, tag)
            WHERE s.serial = t.serial
            """,
            logger: logger
        )
    }

    /// The batch a serial belongs to.
    static func batchOf(serial: String, in database: Database, logger: Logger) async throws -> String? {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query("SELECT batch FROM serials WHERE serial = \(serial)", logger: logger)
            for try await batch in rows.decode(String.self) { return batch }
            return nil
        }
    }

    static func complete(
        _ number: String, as status: BatchStatus, by principal: String, reason: String, signature: Int64?,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            UPDATE batches SET status = \(status.rawValue), completed_at_micros = \(Timestamps.nowMicros()), completed_by = \(principal),
                               completion_reason = \(reason), release_signature = \(signature)
            WHERE number = \(number)
            """,
            logger: logger
        )
    }

    static func addAmendment(
        to batch: String, number: Int, reason: String, changes: [String], digests: (before: String, after: String), by principal: String,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO amendments (batch, number, reason, changes, amended_by, amended_at_micros, digest_before, digest_after)
            VALUES (\(batch), \(number), \(reason), \(changes), \(principal), \(Timestamps.nowMicros()), \(digests.before), \(digests.after))
            """,
            logger: logger
        )
    }

    static func setLegalHold(_ reason: String?, of batch: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("UPDATE batches SET legal_hold_reason = \(reason) WHERE number = \(batch)", logger: logger)
    }

    static func archive(_ batch: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("UPDATE batches SET archived = true WHERE number = \(batch)", logger: logger)
    }

    static func delete(_ batch: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("DELETE FROM batches WHERE number = \(batch)", logger: logger)
    }

    /// Batches with everything recorded about them, in one statement (a batch is loaded on
    /// nearly every call, and each round trip costs more than the rows).
    private static func load(
        number: String?, customer: String?, product: String?, after: String? = nil, limit: Int? = nil, lock: Bool,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [StoredBatch] {
        if lock {
            // Locked first, on its own: the load below then starts after the lock is held, so a
            // writer that waited for another sees that writer's fields, serials and amendments
            // (a statement's subqueries read from the snapshot it started with).
            try await connection.query(
                """
                SELECT number FROM batches
                WHERE (\(number)::text IS NULL OR number = \(number)) AND (\(customer)::text IS NULL OR customer = \(customer))
                  AND (\(product)::text IS NULL OR product = \(product))
                ORDER BY number FOR UPDATE
                """,
                logger: logger
            )
        }
        let rows = try await connection.query(
            """
            SELECT b.number, b.product, b.customer, b.order_reference, b.manufacture_date::text, b.quantity, b.status, b.consolidated,
                   b.requirements, b.legal_hold_reason, b.archived, b.created_at_micros, b.created_by, b.completed_at_micros,
                   b.completed_by, b.completion_reason, b.release_signature,
                   (SELECT coalesce(json_agg(json_build_object('name', f.name, 'value', f.value, 'by', f.recorded_by, 'at', f.recorded_at_micros)), '[]')::text
                    FROM batch_fields f WHERE f.batch = b.number),
                   ARRAY(SELECT s.serial FROM serials s WHERE s.batch = b.number ORDER BY s.serial),
                   ARRAY(SELECT s.qr_payload FROM serials s WHERE s.batch = b.number ORDER BY s.serial),
                   ARRAY(SELECT coalesce(s.nfc_tag, '') FROM serials s WHERE s.batch = b.number ORDER BY s.serial),
                   ARRAY(SELECT l.lot FROM batch_lots l WHERE l.batch = b.number ORDER BY l.lot),
                   (SELECT coalesce(json_agg(json_build_object('number', a.number, 'reason', a.reason, 'changes', a.changes, 'by', a.amended_by,
                                                               'at', a.amended_at_micros, 'before', a.digest_before, 'after', a.digest_after)
                                             ORDER BY a.number), '[]')::text
                    FROM amendments a WHERE a.batch = b.number),
                   (SELECT r.id FROM releases r WHERE r.batch = b.number AND r.state IN ('requested', 'signed'))
            FROM batches b
            WHERE (\(number)::text IS NULL OR b.number = \(number)) AND (\(customer)::text IS NULL OR b.customer = \(customer))
              AND (\(product)::text IS NULL OR b.product = \(product)) AND (\(after)::text IS NULL OR b.number > \(after))
            ORDER BY b.number
            LIMIT \(limit)
            """,
            logger: logger
        )
        var batches: [StoredBatch] = []
        for try await row in rows {
            let (number, product, customer, order, date, quantity, status, consolidated, snapshot, hold, archived, created, createdBy,
                 completed, completedBy, reason, signature, fieldsJSON, serials, payloads, tags, lots, amendmentsJSON, releaseInFlight) = try row.decode(
                (String, String, String, String, String, Int, String, Bool, String, String?, Bool, Int64, String, Int64?, String?, String, Int64?,
                 String, [String], [String], [String], [String], String, Int64?).self
            )
            guard let day = Day(date), let status = BatchStatus(rawValue: status), serials.count == payloads.count, serials.count == tags.count else {
                throw DatabaseError(.failed, "batch \(number) cannot be read back")
            }
            let decoder = JSONDecoder()
            let requirements = try decoder.decode([SnapshotRequirement].self, from: Data(snapshot.utf8))
            var batch = Batch(
                number: number, product: product, customer: customer, orderReference: order, manufactureDate: day, quantity: quantity,
                status: status, consolidated: consolidated, requirements: requirements, legalHold: hold, archived: archived
            )
            var provenance: [String: (by: String, atMicros: Int64)] = [:]
            for field in try decoder.decode([FieldRow].self, from: Data(fieldsJSON.utf8)) {
                batch.fields[field.name] = field.value
                provenance[field.name] = (field.by, field.at)
            }
            batch.serials = serials.indices.map { Serial(serial: serials[$0], qrPayload: payloads[$0], nfcTag: tags[$0].isEmpty ? nil : tags[$0]) }
            batch.lots = lots
            let amendments = try decoder.decode([AmendmentRow].self, from: Data(amendmentsJSON.utf8)).map {
                StoredBatch.Amendment(
                    number: $0.number, reason: $0.reason, changes: $0.changes, amendedBy: $0.by, amendedAtMicros: $0.at,
                    digestBefore: $0.before, digestAfter: $0.after
                )
            }
            batches.append(StoredBatch(
                batch: batch,
                createdAtMicros: created, createdBy: createdBy, completedAtMicros: completed, completedBy: completedBy,
                completionReason: reason, releaseSignature: signature, amendments: amendments, fieldProvenance: provenance,
                releaseInFlight: releaseInFlight
            ))
        }
        return batches
    }

    /// A recorded field value as `load` reads it.
    private struct FieldRow: Decodable {
        var name: String
        var value: String
        var by: String
        var at: Int64
    }

    /// An amendment as `load` reads it.
    private struct AmendmentRow: Decodable {
        var number: Int
        var reason: String
        var changes: [String]
        var by: String
        var at: Int64
        var before: String
        var after: String
    }
}
