import ConformDomain
import ConformProtos
import ConformSecurity
import ConformService
import ConformStorage
import Foundation
import GRPCCore

/// The wire side of the receiving gate: receipts, their verdicts and exceptions.
extension SupplierHandlers {
    func recordReceipt(request: Conform_Supplier_V1_RecordReceiptRequest, context: ServerContext) async throws -> Conform_Supplier_V1_Receipt {
        let lot = try Self.lot(request.lot)
        let supplier = try Self.code(request.supplier)
        let material = try FieldRules.text(request.material, field: "material", maxLength: 200)
        let quantity = try FieldRules.text(request.quantity, field: "quantity", maxLength: 100)
        let day = request.receivedOn.isEmpty ? Day.today : try Day.parse(request.receivedOn, field: "received_on")
        return try await self.writes.write(request) { transaction in
            let entry = try await SupplierStore.entries(supplier: supplier, on: transaction.connection, logger: transaction.logger).first
            // A lot from a supplier not on the ASL is received and blocked; from none at all, it
            // is a mistyped code, and storing it would hide the lot under a supplier nobody knows.
            if entry == nil, try await !SupplierStore.exists(supplier, on: transaction.connection, logger: transaction.logger) {
                throw DomainError.notFound("no supplier \(supplier) (supplier); ListSuppliers shows the suppliers there are, and CreateSupplier adds one")
            }
            let audits = try await SupplierStore.audits(suppliers: [supplier], on: transaction.connection, logger: transaction.logger)
            let policy = try await SupplierStore.maxAuditAgeDays(on: transaction.connection, logger: transaction.logger)
            let (verdict, reasons, lastAudit) = ReceivingGate.verdict(
                supplier: supplier, material: material, on: day, entry: entry, audits: audits, maxAuditAgeDays: policy.days
            )
            let receipt = Receipt(
                lot: lot, supplier: supplier, material: material, quantity: quantity, receivedOn: day,
                coaEvidence: request.coaEvidence == 0 ? nil : Int64(request.coaEvidence), verdict: verdict, reasons: reasons,
                receivedBy: transaction.call.principal.name, lastAudit: lastAudit
            )
            try await ReceiptStore.insert(receipt, on: transaction.connection, logger: transaction.logger)
            try await transaction.recordCreation(of: receipt.message, object: "lot:\(lot)", event: verdict == .accepted ? "receipt.accepted" : "receipt.blocked")
            return receipt.message
        }
    }

    func getReceipt(request: Conform_Supplier_V1_GetReceiptRequest, context: ServerContext) async throws -> Conform_Supplier_V1_Receipt {
        try await self.receipt(request.lot).message
    }

    func listReceipts(request: Conform_Supplier_V1_ListReceiptsRequest, context: ServerContext) async throws -> Conform_Supplier_V1_ListReceiptsResponse {
        let call = try CallContext.required()
        let supplier = request.supplier.isEmpty ? nil : try Self.code(request.supplier)
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListReceipts|\(supplier ?? "")", keys: [.date, .text])
        let rows = try await ReceiptStore.list(
            lots: nil, supplier: supplier, afterDay: page.after(0), afterLot: page.after(1), limit: page.readLimit, in: self.database, logger: call.logger
        )
        if rows.isEmpty, page.after == nil, let supplier {
            let known = try await self.database.read(logger: call.logger) { try await SupplierStore.exists(supplier, on: $0, logger: call.logger) }
            guard known else { throw DomainError.notFound("no supplier \(supplier) (supplier); ListSuppliers shows the suppliers there are") }
        }
        let (receipts, next) = page.finish(rows) { [$0.receivedOn.description, $0.lot] }
        return .with {
            $0.receipts = receipts.map(\.message)
            $0.nextPageToken = next
        }
    }

    func requestException(request: Conform_Supplier_V1_RequestExceptionRequest, context: ServerContext) async throws -> Conform_Supplier_V1_Receipt {
        let lot = try Self.lot(request.lot)
        return try await self.writes.write(request) { transaction in
            let receipt = try await Self.receiptForUpdate(lot, in: transaction)
            let requested = try ExceptionRules.request(receipt, justification: request.justification, by: transaction.call.principal.name)
            try await ReceiptStore.saveException(requested, on: transaction.connection, logger: transaction.logger)
            try await transaction.recordChange(object: "lot:\(lot)", before: receipt.message, after: requested.message)
            try await transaction.publish(type: "exception.requested", subject: "lot:\(lot)", payload: requested.message)
            return requested.message
        }
    }

    func getReceiptDigest(request: Conform_Supplier_V1_ReceiptDigestRequest, context: ServerContext) async throws -> Conform_Supplier_V1_ReceiptDigestResponse {
        let receipt = try await self.receipt(request.lot)
        return .with {
            $0.lot = receipt.lot
            $0.digest = receipt.digest
        }
    }

    func approveException(request: Conform_Supplier_V1_ApproveExceptionRequest, context: ServerContext) async throws -> Conform_Supplier_V1_Receipt {
        let call = try CallContext.required()
        // A retry of an approval that went through is answered as it was, ahead of every check.
        if let answer = try await self.writes.replay(request, as: Conform_Supplier_V1_Receipt.self) { return answer }
        let lot = try Self.lot(request.lot)
        let manifest = try SignatureManifest.parse(request.manifest)
        try ExceptionRules.checkApproval(try await self.receipt(lot), manifest: manifest, caller: call.principal.name)
        // The evidence service checks the signer's key and role on the signing day against the
        // receipt as it is now, and keeps the signature with every other; the same signed
        // approval again is the same signature, so a retry after a failure below completes.
        let signature = try await self.peers.call(.evidence) { client, metadata, options in
            try await Conform_Evidence_V1_EvidenceService.Client(wrapping: client).sign(
                .with {
                    $0.manifest = request.manifest
                    $0.signature = request.signature
                    $0.requiredRole = ExceptionRules.approverRole
                },
                metadata: metadata, options: options
            )
        }
        return try await self.writes.write(request) { transaction in
            let receipt = try await Self.receiptForUpdate(lot, in: transaction)
            try ExceptionRules.checkApproval(receipt, manifest: manifest, caller: transaction.call.principal.name)
            let approved = ExceptionRules.approved(
                receipt, manifest: request.manifest, signature: request.signature, signatureID: Int64(signature.id), by: transaction.call.principal.name
            )
            try await ReceiptStore.saveException(approved, on: transaction.connection, logger: transaction.logger)
            try await transaction.recordChange(object: "lot:\(lot)", before: receipt.message, after: approved.message)
            try await transaction.publish(type: "exception.approved", subject: "lot:\(lot)", payload: approved.message)
            return approved.message
        }
    }

    func getLotStatus(request: Conform_Supplier_V1_LotStatusRequest, context: ServerContext) async throws -> Conform_Supplier_V1_LotStatusResponse {
        let call = try CallContext.required()
        let lots = try request.lots.map(Self.lot)
        let receipts = try await ReceiptStore.list(lots: lots, supplier: nil, in: self.database, logger: call.logger)
        let audits = try await self.database.read(logger: call.logger) { connection in
            try await SupplierStore.audits(suppliers: Array(Set(receipts.map(\.supplier))), on: connection, logger: call.logger)
        }
        return .with {
            $0.lots = receipts.map { receipt in
                .with {
                    $0.receipt = receipt.message
                    $0.auditDates = audits.filter { $0.supplier == receipt.supplier && $0.result.qualifies }.map(\.date.description)
                }
            }
        }
    }

    /// Lot `text`, or NOT_FOUND.
    func receipt(_ text: String) async throws -> Receipt {
        let call = try CallContext.required()
        let lot = try Self.lot(text)
        guard let receipt = try await ReceiptStore.list(lots: [lot], supplier: nil, in: self.database, logger: call.logger).first else {
            throw DomainError.notFound("no lot \(lot) was received; ListReceipts shows the receipts")
        }
        return receipt
    }

    private static func receiptForUpdate(_ lot: String, in transaction: WriteTransaction) async throws -> Receipt {
        guard let receipt = try await ReceiptStore.find(lot, forUpdate: true, on: transaction.connection, logger: transaction.logger) else {
            throw DomainError.notFound("no lot \(lot) was received; ListReceipts shows the receipts")
        }
        return receipt
    }

    static func lot(_ text: String) throws -> String {
        try FieldRules.code(text, field: "lot", maxLength: 64)
    }
}
