import ConformDomain
import ConformStorage
import Foundation
import Logging
import PostgresNIO

/// Suppliers, ASL entries, audits and the receiving policy in the supplier schema.
enum SupplierStore {
    static func insert(_ supplier: Supplier, by principal: String, on connection: PostgresConnection, logger: Logger) async throws {
        do {
            try await connection.query(
                """
                INSERT INTO suppliers (code, name, sites, contacts, created_at_micros, created_by)
                VALUES (\(supplier.code), \(supplier.name), \(supplier.sites), \(String(decoding: try JSONEncoder().encode(supplier.contacts), as: UTF8.self)),
                        \(Timestamps.nowMicros()), \(principal))
                """,
                logger: logger
            )
        } catch let error as PSQLError where DatabaseError(classifying: error).kind == .uniqueViolation {
            throw DomainError.alreadyExists("supplier \(supplier.code) exists already; GetSupplier shows it")
        }
    }

    /// Suppliers in code order (the one of `code` when given), after code `after`, at most `limit`.
    static func suppliers(
        code: String?, after: String? = nil, limit: Int? = nil, in database: Database, logger: Logger
    ) async throws -> [(Supplier, Int64, String)] {
        try await database.read(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT code, name, sites, contacts, created_at_micros, created_by FROM suppliers
                WHERE (\(code)::text IS NULL OR code = \(code)) AND (\(after)::text IS NULL OR code > \(after))
                ORDER BY code LIMIT \(limit)
                """,
                logger: logger
            )
            var suppliers: [(Supplier, Int64, String)] = []
            for try await (code, name, sites, contacts, micros, by) in rows.decode((String, String, [String], String, Int64, String).self) {
                let stored = try JSONDecoder().decode([Contact].self, from: Data(contacts.utf8))
                let supplier = Supplier(code: code, name: name, sites: sites, contacts: stored)
                suppliers.append((supplier, micros, by))
            }
            return suppliers
        }
    }

    /// Supplier codes in order, after `after`, at most `limit`.
    static func codes(after: String?, limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let rows = try await connection.query(
            "SELECT code FROM suppliers WHERE \(after)::text IS NULL OR code > \(after) ORDER BY code LIMIT \(limit)",
            logger: logger
        )
        var codes: [String] = []
        for try await code in rows.decode(String.self) { codes.append(code) }
        return codes
    }

    static func exists(_ code: String, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("SELECT 1 FROM suppliers WHERE code = \(code)", logger: logger)
        for try await _ in rows { return true }
        return false
    }

    static func setEntry(_ entry: AslEntry, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO asl_entries (supplier, status, scope, approved_on, approved_by, valid_until, notes, changed_at_micros)
            VALUES (\(entry.supplier), \(entry.status.rawValue), \(entry.scope), \(entry.approvedOn.description)::date, \(entry.approvedBy),
                    \(entry.validUntil.description)::date, \(entry.notes), \(Timestamps.nowMicros()))
            ON CONFLICT (supplier) DO UPDATE SET status = EXCLUDED.status, scope = EXCLUDED.scope, approved_on = EXCLUDED.approved_on,
                approved_by = EXCLUDED.approved_by, valid_until = EXCLUDED.valid_until, notes = EXCLUDED.notes,
                changed_at_micros = EXCLUDED.changed_at_micros
            """,
            logger: logger
        )
    }

    static func entries(supplier: String?, on connection: PostgresConnection, logger: Logger) async throws -> [AslEntry] {
        try await Self.entries(suppliers: supplier.map { [$0] }, after: nil, limit: nil, on: connection, logger: logger)
    }

    /// ASL entries in supplier order (of `suppliers` when given), after supplier `after`, at most `limit`.
    static func entries(suppliers: [String]?, after: String?, limit: Int?, on connection: PostgresConnection, logger: Logger) async throws -> [AslEntry] {
        let rows = try await connection.query(
            """
            SELECT supplier, status, scope, approved_on::text, approved_by, valid_until::text, notes FROM asl_entries
            WHERE (\(suppliers)::text[] IS NULL OR supplier = ANY(\(suppliers))) AND (\(after)::text IS NULL OR supplier > \(after))
            ORDER BY supplier LIMIT \(limit)
            """,
            logger: logger
        )
        var entries: [AslEntry] = []
        for try await (supplier, status, scope, from, by, until, notes) in rows.decode((String, String, [String], String, String, String, String).self) {
            guard let status = ApprovalStatus(rawValue: status), let from = Day(from), let until = Day(until) else {
                throw DatabaseError(.failed, "the ASL entry of \(supplier) cannot be read back")
            }
            entries.append(AslEntry(supplier: supplier, status: status, scope: scope, approvedOn: from, approvedBy: by, validUntil: until, notes: notes))
        }
        return entries
    }

    static func insert(_ audit: SupplierAudit, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let rows = try await connection.query(
            """
            INSERT INTO supplier_audits (supplier, date, type, auditor, result, findings, next_due, recorded_by, recorded_at_micros)
            VALUES (\(audit.supplier), \(audit.date.description)::date, \(audit.type), \(audit.auditor), \(audit.result.rawValue),
                    \(audit.findings), \(audit.nextDue.description)::date, \(audit.recordedBy), \(Timestamps.nowMicros()))
            RETURNING id
            """,
            logger: logger
        )
        for try await id in rows.decode(Int64.self) { return id }
        throw DatabaseError(.failed, "the audit of \(audit.supplier) was not stored")
    }

    /// Audits of `suppliers` (every supplier's when nil), by supplier, newest first; after the
    /// audit of date `afterDate` and id `afterID` (a page of one supplier's), at most `limit`.
    static func audits(
        suppliers: [String]?, afterDate: String? = nil, afterID: String? = nil, limit: Int? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws -> [SupplierAudit] {
        let rows = try await connection.query(
            """
            SELECT id, supplier, date::text, type, auditor, result, findings, next_due::text, recorded_by FROM supplier_audits
            WHERE (\(suppliers)::text[] IS NULL OR supplier = ANY(\(suppliers)))
              AND (\(afterDate)::date IS NULL OR (date, id) < (\(afterDate)::date, \(afterID)::bigint))
            ORDER BY supplier, date DESC, id DESC LIMIT \(limit)
            """,
            logger: logger
        )
        var audits: [SupplierAudit] = []
        for try await (id, supplier, date, type, auditor, result, findings, due, by) in rows.decode(
            (Int64, String, String, String, String, String, [String], String, String).self
        ) {
            guard let date = Day(date), let due = Day(due), let result = AuditResult(rawValue: result) else {
                throw DatabaseError(.failed, "audit \(id) cannot be read back")
            }
            audits.append(SupplierAudit(id: id, supplier: supplier, date: date, type: type, auditor: auditor, result: result, findings: findings, nextDue: due, recordedBy: by))
        }
        return audits
    }

    /// The receiving policy's largest allowed audit age, or the default.
    static func maxAuditAgeDays(on connection: PostgresConnection, logger: Logger) async throws -> (days: Int, setBy: String) {
        let rows = try await connection.query("SELECT max_audit_age_days, set_by FROM receiving_policy WHERE id = 1", logger: logger)
        for try await (days, by) in rows.decode((Int, String).self) { return (days, by) }
        return (ReceivingGate.defaultMaxAuditAgeDays, "")
    }

    static func setMaxAuditAgeDays(_ days: Int, by principal: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO receiving_policy (id, max_audit_age_days, set_by, set_at_micros) VALUES (1, \(days), \(principal), \(Timestamps.nowMicros()))
            ON CONFLICT (id) DO UPDATE SET max_audit_age_days = EXCLUDED.max_audit_age_days, set_by = EXCLUDED.set_by, set_at_micros = EXCLUDED.set_at_micros
            """,
            logger: logger
        )
    }
}
