import ConformDomain
import ConformStorage
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Receipts and their exceptions in the supplier schema.
enum ReceiptStore {
    static func insert(_ receipt: Receipt, on connection: PostgresConnection, logger: Logger) async throws {
        do {
            try await connection.query(
                """
                INSERT INTO receipts (lot, supplier, material, quantity, received_on, coa_evidence, verdict, reasons, received_by, last_audit,
                                      recorded_at_micros)
                VALUES (\(receipt.lot), \(receipt.supplier), \(receipt.material), \(receipt.quantity), \(receipt.receivedOn.description)::date,
                        \(receipt.coaEvidence), \(receipt.verdict.rawValue), \(receipt.reasons), \(receipt.receivedBy),
                        \(receipt.lastAudit?.description)::date, \(Timestamps.nowMicros()))
                """,
                logger: logger
            )
        } catch let error as PSQLError where DatabaseError(classifying: error).kind == .uniqueViolation {
            throw DomainError.alreadyExists("lot \(receipt.lot) was received already; GetReceipt shows it")
        }
    }

    static func saveException(_ receipt: Receipt, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE receipts SET exception = \(receipt.exception.rawValue), justification = \(receipt.justification),
                requested_by = \(receipt.requestedBy), approved_by = \(receipt.approvedBy), approval_manifest = \(receipt.approvalManifest),
                approval_signature = \(ByteBuffer(bytes: receipt.approvalSignature)), approval_signature_id = \(receipt.approvalSignatureID)
            WHERE lot = \(receipt.lot)
            """,
            logger: logger
        )
    }

    static func find(_ lot: String, forUpdate: Bool, on connection: PostgresConnection, logger: Logger) async throws -> Receipt? {
        try await Self.load(lots: [lot], supplier: nil, lock: forUpdate, on: connection, logger: logger).first
    }

    /// Receipts by date received, then lot; after the receipt received on `afterDay` as lot
    /// `afterLot`, at most `limit`.
    static func list(
        lots: [String]?, supplier: String?, afterDay: String? = nil, afterLot: String? = nil, limit: Int? = nil, in database: Database, logger: Logger
    ) async throws -> [Receipt] {
        try await database.read(logger: logger) { connection in
            try await Self.load(lots: lots, supplier: supplier, afterDay: afterDay, afterLot: afterLot, limit: limit, lock: false, on: connection, logger: logger)
        }
    }

    private static func load(
        lots: [String]?, supplier: String?, afterDay: String? = nil, afterLot: String? = nil, limit: Int? = nil, lock: Bool,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [Receipt] {
        let rows = try await connection.query(
            """
            SELECT lot, supplier, material, quantity, received_on::text, coa_evidence, verdict, reasons, received_by, last_audit::text,
                   exception, justification, requested_by, approved_by, approval_manifest, approval_signature, approval_signature_id
            FROM receipts
            WHERE (\(lots)::text[] IS NULL OR lot = ANY(\(lots))) AND (\(supplier)::text IS NULL OR supplier = \(supplier))
              AND (\(afterDay)::date IS NULL OR (received_on, lot) > (\(afterDay)::date, \(afterLot)))
            ORDER BY received_on, lot LIMIT \(limit) \(unescaped: lock ? "FOR UPDATE" : "")
            """,
            logger: logger
        )
        var receipts: [Receipt] = []
        for try await row in rows {
            let (lot, supplier, material, quantity, received, coa, verdict, reasons, by, lastAudit, exception, justification, requestedBy, approvedBy, manifest, signature, signatureID) =
                try row.decode((String, String, String, String, String, Int64?, String, [String], String, String?, String, String, String, String, String, ByteBuffer, Int64?).self)
            guard let day = Day(received), let verdict = Receipt.Verdict(rawValue: verdict), let exception = ExceptionState(rawValue: exception) else {
                throw DatabaseError(.failed, "receipt \(lot) cannot be read back")
            }
            receipts.append(Receipt(
                lot: lot, supplier: supplier, material: material, quantity: quantity, receivedOn: day, coaEvidence: coa, verdict: verdict,
                reasons: reasons, receivedBy: by, lastAudit: lastAudit.flatMap(Day.init), exception: exception, justification: justification,
                requestedBy: requestedBy, approvedBy: approvedBy, approvalManifest: manifest, approvalSignature: Data(signature.readableBytesView),
                approvalSignatureID: signatureID
            ))
        }
        return receipts
    }
}
