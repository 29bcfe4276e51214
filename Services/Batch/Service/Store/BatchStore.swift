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
            throw DomainError.alreadyExists("batch \(batch.number) exists already; 'conform batch get \(batch.number)' shows it")
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

    static func list(customer: String?, product: String?, in database: Database, logger: Logger) async throws -> [StoredBatch] {
        try await database.read(logger: logger) { connection in
            try await Self.load(number: nil, customer: customer, product: product, lock: false, on: connection, logger: logger)
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
        to batch: String, number: Int, reason: String, changes: [String], by principal: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO amendments (batch, number, reason, changes, amended_by, amended_at_micros)
            VALUES (\(batch), \(number), \(reason), \(changes), \(principal), \(Timestamps.nowMicros()))
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

    private static func load(
        number: String?, customer: String?, product: String?, lock: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws -> [StoredBatch] {
        let rows = try await connection.query(
            """
            SELECT number, product, customer, order_reference, manufacture_date::text, quantity, status, consolidated, requirements,
                   legal_hold_reason, archived, created_at_micros, created_by, completed_at_micros, completed_by, completion_reason,
                   release_signature
            FROM batches
            WHERE (\(number)::text IS NULL OR number = \(number)) AND (\(customer)::text IS NULL OR customer = \(customer))
              AND (\(product)::text IS NULL OR product = \(product))
            ORDER BY number \(unescaped: lock ? "FOR UPDATE" : "")
            """,
            logger: logger
        )
        var batches: [StoredBatch] = []
        for try await row in rows {
            let (number, product, customer, order, date, quantity, status, consolidated, snapshot, hold, archived, created, createdBy,
                 completed, completedBy, reason, signature) = try row.decode(
                (String, String, String, String, String, Int, String, Bool, String, String?, Bool, Int64, String, Int64?, String?, String, Int64?).self
            )
            guard let day = Day(date), let status = BatchStatus(rawValue: status) else {
                throw DatabaseError(.failed, "batch \(number) cannot be read back")
            }
            let requirements = try JSONDecoder().decode([SnapshotRequirement].self, from: Data(snapshot.utf8))
            batches.append(StoredBatch(
                batch: Batch(
                    number: number, product: product, customer: customer, orderReference: order, manufactureDate: day, quantity: quantity,
                    status: status, consolidated: consolidated, requirements: requirements, legalHold: hold, archived: archived
                ),
                createdAtMicros: created, createdBy: createdBy, completedAtMicros: completed, completedBy: completedBy,
                completionReason: reason, releaseSignature: signature, amendments: [], fieldProvenance: [:]
            ))
        }
        guard !batches.isEmpty else { return [] }
        let numbers = batches.map(\.batch.number)
        var index: [String: Int] = [:]
        for (position, stored) in batches.enumerated() { index[stored.batch.number] = position }
        let fields = try await connection.query(
            "SELECT batch, name, value, recorded_by, recorded_at_micros FROM batch_fields WHERE batch = ANY(\(numbers))",
            logger: logger
        )
        for try await (batch, name, value, by, micros) in fields.decode((String, String, String, String, Int64).self) {
            guard let position = index[batch] else { continue }
            batches[position].batch.fields[name] = value
            batches[position].fieldProvenance[name] = (by, micros)
        }
        let serials = try await connection.query(
            "SELECT batch, serial, qr_payload, nfc_tag FROM serials WHERE batch = ANY(\(numbers)) ORDER BY serial",
            logger: logger
        )
        for try await (batch, serial, payload, tag) in serials.decode((String, String, String, String?).self) {
            guard let position = index[batch] else { continue }
            batches[position].batch.serials.append(Serial(serial: serial, qrPayload: payload, nfcTag: tag))
        }
        let lots = try await connection.query(
            "SELECT batch, lot FROM batch_lots WHERE batch = ANY(\(numbers)) ORDER BY lot",
            logger: logger
        )
        for try await (batch, lot) in lots.decode((String, String).self) {
            guard let position = index[batch] else { continue }
            batches[position].batch.lots.append(lot)
        }
        let amendments = try await connection.query(
            "SELECT batch, number, reason, changes, amended_by, amended_at_micros FROM amendments WHERE batch = ANY(\(numbers)) ORDER BY number",
            logger: logger
        )
        for try await (batch, number, reason, changes, by, micros) in amendments.decode((String, Int, String, [String], String, Int64).self) {
            guard let position = index[batch] else { continue }
            batches[position].amendments.append(StoredBatch.Amendment(number: number, reason: reason, changes: changes, amendedBy: by, amendedAtMicros: micros))
        }
        return batches
    }
}
