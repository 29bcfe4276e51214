import ConformDomain
import ConformService
import ConformStorage
import Logging
import NIOCore
import PostgresNIO

/// One revision of a period's export, with its delivery.
struct ExportRecord: Sendable {
    var id: Int64
    var customer: String
    var name: String
    var period: String
    var revision: Int
    var definitionVersion: Int
    var fileName: String
    var sha256: String
    var records: Int
    var generatedBy: String
    var generatedAtMicros: Int64
    var delivery: DeliveryRecord?
}

/// A revision of an export on its way to the customer's drop folder.
struct DeliveryRecord: Sendable {
    var id: Int64
    var exportID: Int64
    var revision: Int
    var customer: String
    var fileName: String
    /// "queued", "delivered" or "failed".
    var status: String
    var attempts: Int
    var lastError: String
    var path: String
    var queuedAtMicros: Int64
    var deliveredAtMicros: Int64
    var nextAttemptAtMicros: Int64
}

/// Export definitions, exports and the delivery queue in the reporting schema.
enum ExportStore {
    /// Stores `definition` as the next version of the customer's export of that name, unless
    /// the current version already lays out the same document (then that one is returned).
    static func define(_ definition: ExportDefinition, in transaction: WriteTransaction) async throws -> (ExportDefinition, by: String, at: Int64) {
        let connection = transaction.connection
        let logger = transaction.logger
        let principal = transaction.call.principal.name
        // Two definers of the same export take turns, so versions stay consecutive.
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(definition.customer + "/" + definition.name)))", logger: logger)
        let current = try await Self.definition(customer: definition.customer, name: definition.name, on: connection, logger: logger)
        if let current, current.0.hasSameLayout(as: definition) {
            return current
        }
        let version = (current?.0.version ?? 0) + 1
        let now = Timestamps.nowMicros()
        try await connection.query(
            """
            INSERT INTO export_definitions (customer, name, version, schedule, root_element, record_element, field_elements, field_sources,
                                            defined_by, defined_at_micros)
            VALUES (\(definition.customer), \(definition.name), \(Int32(version)), \(definition.schedule.rawValue), \(definition.rootElement),
                    \(definition.recordElement), \(definition.fields.map(\.element)), \(definition.fields.map(\.source.rawValue)), \(principal), \(now))
            """,
            logger: logger
        )
        var stored = definition
        stored.version = version
        try await transaction.recordChange(
            object: "export-definition:\(definition.customer)/\(definition.name)",
            before: current.map { $0.0.message(by: $0.by, at: $0.at) }, after: stored.message(by: principal, at: now)
        )
        return (stored, principal, now)
    }

    /// The current version of a customer's export definition.
    static func definition(customer: String, name: String, on connection: PostgresConnection, logger: Logger) async throws -> (ExportDefinition, by: String, at: Int64)? {
        try await Self.definitions(customer: customer, name: name, on: connection, logger: logger).first
    }

    /// The current version of every definition (of one customer, of one name), by customer and
    /// name: those after `afterCustomer`'s `afterName`, at most `limit` (every one when nil).
    static func definitions(
        customer: String?, name: String? = nil, afterCustomer: String? = nil, afterName: String? = nil, limit: Int? = nil,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [(ExportDefinition, by: String, at: Int64)] {
        let rows = try await connection.query(
            """
            SELECT DISTINCT ON (customer, name) customer, name, version, schedule, root_element, record_element, field_elements, field_sources,
                   defined_by, defined_at_micros
            FROM export_definitions
            WHERE (\(customer)::text IS NULL OR customer = \(customer)) AND (\(name)::text IS NULL OR name = \(name))
              AND (\(afterCustomer)::text IS NULL OR (customer, name) > (\(afterCustomer)::text, \(afterName)::text))
            ORDER BY customer, name, version DESC
            LIMIT \(limit)
            """,
            logger: logger
        )
        var definitions: [(ExportDefinition, by: String, at: Int64)] = []
        for try await (customer, name, version, schedule, root, record, elements, sources, by, at)
            in rows.decode((String, String, Int32, String, String, String, [String], [String], String, Int64).self) {
            let fields = zip(elements, sources).compactMap { element, source in
                ExportSource(rawValue: source).map { ExportField(element: element, source: $0) }
            }
            definitions.append((
                ExportDefinition(
                    customer: customer, name: name, version: Int(version), schedule: ExportSchedule(rawValue: schedule) ?? .onDemand,
                    rootElement: root, recordElement: record, fields: fields
                ),
                by, at
            ))
        }
        return definitions
    }

    /// A customer's batches made in `period`, as an export reads them.
    static func batches(customer: String, period: ExportPeriod, on connection: PostgresConnection, logger: Logger) async throws -> [ExportedBatch] {
        let rows = try await connection.query(
            """
            SELECT b.number, b.product, b.status, b.manufacture_date::text,
                   b.evaluated_at_micros,
                   coalesce((SELECT array_agg(c.requirement_id || ': ' ||
                                 CASE WHEN cardinality(c.missing) = 0 THEN 'not satisfied' ELSE 'missing ' || array_to_string(c.missing, ', ') END
                                 ORDER BY c.requirement_id)
                             FROM batch_compliance c WHERE c.batch = b.number AND c.customer = b.customer AND c.state = 'unsatisfied'), '{}'::text[]),
                   (SELECT count(*) FROM evidence_items e WHERE e.batch = b.number AND e.superseded_by = 0)
            FROM batch_summaries b
            WHERE b.customer = \(customer) AND b.manufacture_date BETWEEN \(period.first.description)::date AND \(period.last.description)::date
            ORDER BY b.manufacture_date, b.number
            """,
            logger: logger
        )
        var batches: [ExportedBatch] = []
        for try await (number, product, status, date, evaluated, missing, evidence) in rows.decode((String, String, String, String, Int64, [String], Int64).self) {
            guard let day = Day(date) else { continue }
            batches.append(ExportedBatch(
                number: number, product: product, manufactureDate: day, status: status,
                compliant: evaluated > 0 && missing.isEmpty,
                missing: evaluated > 0 ? missing : ["compliance not evaluated yet"],
                evidenceCount: Int(evidence)
            ))
        }
        return batches
    }

    /// The exports ("CUSTOMER/NAME") generated for `period` already.
    static func exported(period: ExportPeriod, on connection: PostgresConnection, logger: Logger) async throws -> Set<String> {
        let rows = try await connection.query(
            "SELECT customer || '/' || name FROM customer_exports WHERE period = \(period.description) AND revision > 0",
            logger: logger
        )
        var done: Set<String> = []
        for try await key in rows.decode(String.self) { done.insert(key) }
        return done
    }

    /// How many of a customer's batches in `period` the read model has not (re)evaluated yet.
    static func unsettled(customer: String, period: ExportPeriod, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query(
            """
            SELECT count(*) FROM batch_summaries b
            WHERE b.customer = \(customer) AND b.manufacture_date BETWEEN \(period.first.description)::date AND \(period.last.description)::date
              AND (b.evaluated_at_micros = 0 OR EXISTS (SELECT 1 FROM stale_batches s WHERE s.number = b.number))
            """,
            logger: logger
        )
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }

    /// Records a generated export: a period's first, or a new revision when its content
    /// changed, queued for delivery. The same content again changes nothing.
    ///
    /// - Returns: the period's current revision, and whether this call left it unchanged.
    static func record(
        customer: String, name: String, period: ExportPeriod, definitionVersion: Int, content: [UInt8], sha256: String, records: Int,
        in transaction: WriteTransaction
    ) async throws -> (ExportRecord, unchanged: Bool) {
        let connection = transaction.connection
        let logger = transaction.logger
        let principal = transaction.call.principal.name
        try await connection.query(
            """
            INSERT INTO customer_exports (customer, name, period, revision) VALUES (\(customer), \(name), \(period.description), 0)
            ON CONFLICT (customer, name, period) DO NOTHING
            """,
            logger: logger
        )
        let rows = try await connection.query(
            "SELECT id, revision FROM customer_exports WHERE customer = \(customer) AND name = \(name) AND period = \(period.description) FOR UPDATE",
            logger: logger
        )
        var found: (Int64, Int32)?
        for try await row in rows.decode((Int64, Int32).self) { found = row }
        guard let (id, revision) = found else { throw DomainError.failedPrecondition("the export of \(period) vanished while it was being recorded") }
        let current = revision > 0 ? try await Self.export(id: id, customer: nil, on: connection, logger: logger) : nil
        if let current, current.sha256 == sha256, current.definitionVersion == definitionVersion {
            return (current, true)
        }
        let next = Int(revision) + 1
        let fileName = "\(customer)-\(name)-\(period)\(next > 1 ? "-r\(next)" : "").xml"
        let now = Timestamps.nowMicros()
        try await connection.query(
            """
            INSERT INTO export_revisions (export_id, revision, definition_version, file_name, sha256, records, content, generated_by, generated_at_micros)
            VALUES (\(id), \(Int32(next)), \(Int32(definitionVersion)), \(fileName), \(sha256), \(Int32(records)), \(ByteBuffer(bytes: content)), \(principal), \(now))
            """,
            logger: logger
        )
        try await connection.query("UPDATE customer_exports SET revision = \(Int32(next)) WHERE id = \(id)", logger: logger)
        try await connection.query(
            """
            INSERT INTO deliveries (export_id, revision, customer, file_name, status, queued_at_micros, next_attempt_at_micros)
            VALUES (\(id), \(Int32(next)), \(customer), \(fileName), 'queued', \(now), \(now))
            """,
            logger: logger
        )
        guard let stored = try await Self.export(id: id, customer: nil, on: connection, logger: logger) else {
            throw DomainError.failedPrecondition("the export of \(period) vanished while it was being recorded")
        }
        try await transaction.recordChange(object: "export:\(id)", before: current?.message, after: stored.message)
        return (stored, false)
    }

    /// An export's current revision, when it is `customer`'s (any customer's when nil).
    static func export(id: Int64, customer: String?, on connection: PostgresConnection, logger: Logger) async throws -> ExportRecord? {
        try await Self.exports(id: id, customer: customer, on: connection, logger: logger).first
    }

    /// Exports (of one customer), newest first (by id), each at its current revision: those
    /// older than export `after`, at most `limit`.
    static func exports(customer: String?, after: String?, limit: Int, in database: Database, logger: Logger) async throws -> [ExportRecord] {
        try await database.read(logger: logger) { connection in
            try await Self.exports(id: nil, customer: customer, after: after, limit: limit, on: connection, logger: logger)
        }
    }

    private static func exports(
        id: Int64?, customer: String?, after: String? = nil, limit: Int? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws -> [ExportRecord] {
        let rows = try await connection.query(
            """
            SELECT x.id, x.customer, x.name, x.period, r.revision, r.definition_version, r.file_name, r.sha256, r.records,
                   r.generated_by, r.generated_at_micros
            FROM customer_exports x JOIN export_revisions r ON r.export_id = x.id AND r.revision = x.revision
            WHERE (\(id)::bigint IS NULL OR x.id = \(id)) AND (\(customer)::text IS NULL OR x.customer = \(customer))
              AND (\(after)::bigint IS NULL OR x.id < \(after)::bigint)
            ORDER BY x.id DESC
            LIMIT \(limit)
            """,
            logger: logger
        )
        var exports: [ExportRecord] = []
        for try await (id, customer, name, period, revision, version, fileName, sha, records, by, at)
            in rows.decode((Int64, String, String, String, Int32, Int32, String, String, Int32, String, Int64).self) {
            exports.append(ExportRecord(
                id: id, customer: customer, name: name, period: period, revision: Int(revision), definitionVersion: Int(version),
                fileName: fileName, sha256: sha, records: Int(records), generatedBy: by, generatedAtMicros: at, delivery: nil
            ))
        }
        guard !exports.isEmpty else { return exports }
        // The current revision's delivery of each, in one query.
        let deliveries = try await Self.deliveries(exportIDs: exports.map(\.id), on: connection, logger: logger)
        let byRevision = Dictionary(deliveries.map { ("\($0.exportID)/\($0.revision)", $0) }, uniquingKeysWith: { first, _ in first })
        for index in exports.indices {
            exports[index].delivery = byRevision["\(exports[index].id)/\(exports[index].revision)"]
        }
        return exports
    }

    /// The content of an export's current revision, when it is `customer`'s (any customer's
    /// when nil).
    static func content(id: Int64, customer: String?, in database: Database, logger: Logger) async throws -> (ExportRecord, [UInt8])? {
        try await database.read(logger: logger) { connection in
            guard let export = try await Self.export(id: id, customer: customer, on: connection, logger: logger) else { return nil }
            let rows = try await connection.query(
                "SELECT content FROM export_revisions WHERE export_id = \(id) AND revision = \(Int32(export.revision))",
                logger: logger
            )
            for try await content in rows.decode(ByteBuffer.self) { return (export, Array(content.readableBytesView)) }
            return nil
        }
    }
}

extension ExportStore {
    /// Deliveries (of one customer), newest first: those older than delivery `after`, at most `limit`.
    static func deliveries(customer: String?, after: String?, limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [DeliveryRecord] {
        let rows = try await connection.query(
            """
            SELECT id, export_id, revision, customer, file_name, status, attempts, last_error, path, queued_at_micros, delivered_at_micros,
                   next_attempt_at_micros
            FROM deliveries
            WHERE (\(customer)::text IS NULL OR customer = \(customer)) AND (\(after)::bigint IS NULL OR id < \(after)::bigint)
            ORDER BY id DESC LIMIT \(limit)
            """,
            logger: logger
        )
        return try await Self.decodeDeliveries(rows)
    }

    /// Every delivery of the exports `exportIDs`, newest first.
    static func deliveries(exportIDs: [Int64], on connection: PostgresConnection, logger: Logger) async throws -> [DeliveryRecord] {
        let rows = try await connection.query(
            """
            SELECT id, export_id, revision, customer, file_name, status, attempts, last_error, path, queued_at_micros, delivered_at_micros,
                   next_attempt_at_micros
            FROM deliveries
            WHERE export_id = ANY(\(exportIDs))
            ORDER BY id DESC
            """,
            logger: logger
        )
        return try await Self.decodeDeliveries(rows)
    }

    /// Deliveries from rows of their columns in the order `deliveries` selects them.
    private static func decodeDeliveries(_ rows: PostgresRowSequence) async throws -> [DeliveryRecord] {
        var deliveries: [DeliveryRecord] = []
        for try await (id, export, revision, customer, fileName, status, attempts, error, path, queued, delivered, next)
            in rows.decode((Int64, Int64, Int32, String, String, String, Int32, String, String, Int64, Int64, Int64).self) {
            deliveries.append(DeliveryRecord(
                id: id, exportID: export, revision: Int(revision), customer: customer, fileName: fileName, status: status, attempts: Int(attempts),
                lastError: error, path: path, queuedAtMicros: queued, deliveredAtMicros: delivered, nextAttemptAtMicros: next
            ))
        }
        return deliveries
    }

    static func deliveries(customer: String?, after: String?, limit: Int, in database: Database, logger: Logger) async throws -> [DeliveryRecord] {
        try await database.read(logger: logger) { connection in
            try await Self.deliveries(customer: customer, after: after, limit: limit, on: connection, logger: logger)
        }
    }

    /// Queued deliveries whose next attempt is due, with their content.
    static func due(limit: Int, in database: Database, logger: Logger) async throws -> [(DeliveryRecord, [UInt8])] {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT d.id, d.export_id, d.revision, d.customer, d.file_name, d.attempts, r.content
                FROM deliveries d JOIN export_revisions r ON r.export_id = d.export_id AND r.revision = d.revision
                WHERE d.status = 'queued' AND d.next_attempt_at_micros <= \(Timestamps.nowMicros())
                ORDER BY d.next_attempt_at_micros LIMIT \(limit)
                """,
                logger: logger
            )
            var due: [(DeliveryRecord, [UInt8])] = []
            for try await (id, export, revision, customer, fileName, attempts, bytes) in rows.decode((Int64, Int64, Int32, String, String, Int32, ByteBuffer).self) {
                let content = Array(bytes.readableBytesView)
                due.append((
                    DeliveryRecord(
                        id: id, exportID: export, revision: Int(revision), customer: customer, fileName: fileName, status: "queued",
                        attempts: Int(attempts), lastError: "", path: "", queuedAtMicros: 0, deliveredAtMicros: 0, nextAttemptAtMicros: 0
                    ),
                    content
                ))
            }
            return due
        }
    }

    /// Records that the courier wrote a queued delivery to `path`; false when another replica's
    /// courier settled it first.
    @discardableResult
    static func delivered(id: Int64, path: String, in transaction: WriteTransaction) async throws -> Bool {
        try await Self.settle(
            id: id,
            """
            UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, path = \(path), last_error = '',
                delivered_at_micros = \(Timestamps.nowMicros())
            WHERE id = \(id) AND status = 'queued'
            """,
            in: transaction
        )
    }

    /// Records a failed attempt: the next one is due at `nextAttemptAtMicros`, or none when
    /// `givingUp`; false when another replica's courier settled it first.
    @discardableResult
    static func failed(id: Int64, error: String, nextAttemptAtMicros: Int64, givingUp: Bool, in transaction: WriteTransaction) async throws -> Bool {
        try await Self.settle(
            id: id,
            """
            UPDATE deliveries SET attempts = attempts + 1, last_error = \(error), next_attempt_at_micros = \(nextAttemptAtMicros),
                status = \(givingUp ? "failed" : "queued")
            WHERE id = \(id) AND status = 'queued'
            """,
            in: transaction
        )
    }

    /// Runs `update` on a queued delivery and records the change (nothing when it was no
    /// longer queued: another replica's courier settled it).
    private static func settle(id: Int64, _ update: PostgresQuery, in transaction: WriteTransaction) async throws -> Bool {
        let connection = transaction.connection
        let logger = transaction.logger
        let before = try await Self.deliveries(id: id, on: connection, logger: logger, lock: true)
        guard let before = before.first, before.status == "queued" else { return false }
        try await connection.query(update, logger: logger)
        guard let after = try await Self.deliveries(id: id, on: connection, logger: logger, lock: false).first else { return false }
        try await transaction.recordChange(object: "delivery:\(id)", before: before.message, after: after.message)
        return true
    }

    /// One delivery by id, locked for the update that follows when `lock`.
    private static func deliveries(id: Int64, on connection: PostgresConnection, logger: Logger, lock: Bool) async throws -> [DeliveryRecord] {
        let rows = try await connection.query(
            """
            SELECT id, export_id, revision, customer, file_name, status, attempts, last_error, path, queued_at_micros, delivered_at_micros,
                   next_attempt_at_micros
            FROM deliveries WHERE id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")
            """,
            logger: logger
        )
        return try await Self.decodeDeliveries(rows)
    }
}
