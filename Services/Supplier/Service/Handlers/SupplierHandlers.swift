import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import Foundation
import GRPCCore

/// The wire side of the supplier service: suppliers, the ASL, audits and the receiving gate.
struct SupplierHandlers: Conform_Supplier_V1_SupplierService.SimpleServiceProtocol {
    let database: Database
    let peers: Peers
    let writes: Writes

    init(resources: ServiceResources) {
        self.database = resources.database
        self.peers = resources.peers
        self.writes = Writes(database: resources.database)
    }

    func createSupplier(request: Conform_Supplier_V1_CreateSupplierRequest, context: ServerContext) async throws -> Conform_Supplier_V1_Supplier {
        let supplier = Supplier(
            code: try Self.code(request.code),
            name: try FieldRules.text(request.name, field: "name", maxLength: 200),
            sites: try request.sites.enumerated().map { try FieldRules.text($1, field: "sites[\($0)]", maxLength: 200) },
            contacts: try request.contacts.enumerated().map { index, contact in
                try Contact.checked(name: contact.name, email: contact.email, role: contact.role, at: index, roleMaxLength: 100)
            }
        )
        return try await self.writes.write(request) { transaction in
            try await SupplierStore.insert(supplier, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
            let message = supplier.message(createdAtMicros: Timestamps.nowMicros(), createdBy: transaction.call.principal.name)
            try await transaction.recordCreation(of: message, object: "supplier:\(supplier.code)", event: "supplier.created")
            return message
        }
    }

    func getSupplier(request: Conform_Supplier_V1_GetSupplierRequest, context: ServerContext) async throws -> Conform_Supplier_V1_Supplier {
        let call = try CallContext.required()
        let code = try Self.code(request.code)
        guard let (supplier, micros, by) = try await SupplierStore.suppliers(code: code, in: self.database, logger: call.logger).first else {
            throw DomainError.notFound("no supplier \(code); ListSuppliers shows the suppliers there are")
        }
        return supplier.message(createdAtMicros: micros, createdBy: by)
    }

    func listSuppliers(request: Conform_Supplier_V1_ListSuppliersRequest, context: ServerContext) async throws -> Conform_Supplier_V1_ListSuppliersResponse {
        let call = try CallContext.required()
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListSuppliers")
        let rows = try await SupplierStore.suppliers(code: nil, after: page.after(0), limit: page.readLimit, in: self.database, logger: call.logger)
        let (suppliers, next) = page.finish(rows) { [$0.0.code] }
        return .with {
            $0.suppliers = suppliers.map { $0.0.message(createdAtMicros: $0.1, createdBy: $0.2) }
            $0.nextPageToken = next
        }
    }

    func setAslEntry(request: Conform_Supplier_V1_SetAslEntryRequest, context: ServerContext) async throws -> Conform_Supplier_V1_AslEntry {
        let code = try Self.code(request.supplier)
        return try await self.writes.write(request) { transaction in
            guard try await SupplierStore.exists(code, on: transaction.connection, logger: transaction.logger) else {
                throw DomainError.notFound("no supplier \(code); create it first with CreateSupplier")
            }
            let entry = try SupplierRules.entry(
                supplier: code, status: ApprovalStatus(request.status), scope: request.scope, approvedOn: request.approvedOn,
                validUntil: request.validUntil, notes: request.notes, approvedBy: transaction.call.principal.name
            )
            let before = try await SupplierStore.entries(supplier: code, on: transaction.connection, logger: transaction.logger).first
            try await SupplierStore.setEntry(entry, on: transaction.connection, logger: transaction.logger)
            try await transaction.recordChange(object: "asl:\(code)", before: before?.message, after: entry.message)
            try await transaction.publish(type: "asl.changed", subject: "asl:\(code)", payload: entry.message)
            return entry.message
        }
    }

    func listAsl(request: Conform_Supplier_V1_ListAslRequest, context: ServerContext) async throws -> Conform_Supplier_V1_ListAslResponse {
        let call = try CallContext.required()
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListAsl")
        let rows = try await self.database.read(logger: call.logger) { connection in
            try await SupplierStore.entries(suppliers: nil, after: page.after(0), limit: page.readLimit, on: connection, logger: call.logger)
        }
        let (entries, next) = page.finish(rows) { [$0.supplier] }
        return .with {
            $0.entries = entries.map(\.message)
            $0.nextPageToken = next
        }
    }

    func recordAudit(request: Conform_Supplier_V1_RecordAuditRequest, context: ServerContext) async throws -> Conform_Supplier_V1_SupplierAudit {
        let code = try Self.code(request.supplier)
        return try await self.writes.write(request) { transaction in
            guard try await SupplierStore.exists(code, on: transaction.connection, logger: transaction.logger) else {
                throw DomainError.notFound("no supplier \(code); create it first with CreateSupplier")
            }
            var audit = try SupplierRules.audit(
                supplier: code, date: request.date, type: request.type, auditor: request.auditor, result: AuditResult(request.result),
                findings: request.findings, nextDue: request.nextDue, recordedBy: transaction.call.principal.name
            )
            audit.id = try await SupplierStore.insert(audit, on: transaction.connection, logger: transaction.logger)
            try await transaction.recordCreation(of: audit.message, object: "supplier-audit:\(audit.id)", event: "supplier.audited")
            return audit.message
        }
    }

    func listAudits(request: Conform_Supplier_V1_ListAuditsRequest, context: ServerContext) async throws -> Conform_Supplier_V1_ListAuditsResponse {
        let call = try CallContext.required()
        let code = try Self.code(request.supplier)
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListAudits|\(code)", keys: [.date, .integer])
        let rows = try await self.database.read(logger: call.logger) { connection in
            try await SupplierStore.audits(
                suppliers: [code], afterDate: page.after(0), afterID: page.after(1), limit: page.readLimit, on: connection, logger: call.logger
            )
        }
        let (audits, next) = page.finish(rows) { [$0.date.description, "\($0.id)"] }
        return .with {
            $0.audits = audits.map(\.message)
            $0.nextPageToken = next
        }
    }

    func setReceivingPolicy(request: Conform_Supplier_V1_SetReceivingPolicyRequest, context: ServerContext) async throws -> Conform_Supplier_V1_ReceivingPolicy {
        let days = Int(request.maxAuditAgeDays)
        guard (1...3_650).contains(days) else {
            throw DomainError.invalid(field: "max_audit_age_days", reason: "is \(days); it must be 1 to 3650")
        }
        return try await self.writes.write(request) { transaction in
            let before = try await SupplierStore.maxAuditAgeDays(on: transaction.connection, logger: transaction.logger)
            try await SupplierStore.setMaxAuditAgeDays(days, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
            let after = Conform_Supplier_V1_ReceivingPolicy.with { $0.maxAuditAgeDays = UInt32(days); $0.setBy = transaction.call.principal.name }
            try await transaction.recordChange(
                object: "receiving-policy",
                before: Conform_Supplier_V1_ReceivingPolicy.with { $0.maxAuditAgeDays = UInt32(before.days); $0.setBy = before.setBy },
                after: after
            )
            return after
        }
    }

    func getReceivingPolicy(request: Conform_Supplier_V1_GetReceivingPolicyRequest, context: ServerContext) async throws -> Conform_Supplier_V1_ReceivingPolicy {
        let call = try CallContext.required()
        let policy = try await self.database.read(logger: call.logger) { connection in
            try await SupplierStore.maxAuditAgeDays(on: connection, logger: call.logger)
        }
        return .with { $0.maxAuditAgeDays = UInt32(policy.days); $0.setBy = policy.setBy }
    }

    func listDue(request: Conform_Supplier_V1_ListDueRequest, context: ServerContext) async throws -> Conform_Supplier_V1_ListDueResponse {
        let call = try CallContext.required()
        let within = request.withinDays == 0 ? 30 : Int(request.withinDays)
        // A page of suppliers, by code; what comes due is worked out from their audits and
        // entries only.
        let page = try KeysetPage(size: request.pageSize, token: request.pageToken, scope: "ListDue|\(within)")
        let (next, audits, entries) = try await self.database.read(logger: call.logger) { connection -> (String, [SupplierAudit], [AslEntry]) in
            let rows = try await SupplierStore.codes(after: page.after(0), limit: page.readLimit, on: connection, logger: call.logger)
            let (codes, next) = page.finish(rows) { [$0] }
            return (
                next,
                try await SupplierStore.audits(suppliers: codes, on: connection, logger: call.logger),
                try await SupplierStore.entries(suppliers: codes, after: nil, limit: nil, on: connection, logger: call.logger)
            )
        }
        let today = Day.today
        return .with {
            $0.nextPageToken = next
            $0.audits = DueList.audits(audits, within: within, today: today).map { due in
                .with {
                    $0.supplier = due.supplier
                    $0.nextDue = due.nextDue.description
                    $0.daysLeft = Int32(due.daysLeft)
                }
            }
            $0.expiredApprovals = DueList.expired(entries, today: today).map { entry in
                .with {
                    $0.supplier = entry.supplier
                    $0.validUntil = entry.validUntil.description
                }
            }
        }
    }

    static func code(_ text: String) throws -> String {
        try FieldRules.code(text, field: "supplier", maxLength: SupplierRules.maxCodeLength)
    }
}
