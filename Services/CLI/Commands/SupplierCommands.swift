import ArgumentParser
import ConformProtos
import ConformWire
import Foundation
import GRPCCore

typealias SupplierServiceClient = Conform_Supplier_V1_SupplierService.Client

struct SupplierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supplier",
        abstract: "Suppliers, the Approved Supplier List and supplier audits.",
        subcommands: [Add.self, Get.self, List.self, Approve.self, ASL.self, Audit.self, Audits.self, Policy.self, Due.self]
    )

    static func call<Result: Sendable>(
        _ connection: ConnectionOptions,
        _ body: (SupplierServiceClient<ConformWireClientTransport>) async throws -> Result
    ) async throws -> Result {
        try await connection.withClient(.supplier) { client in try await body(SupplierServiceClient(wrapping: client)) }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a supplier.", discussion: "Example: conform supplier add ALU-NORD --name 'Aluminium Nord GmbH' --site 'Dortmund plant 2'")
        @Argument(help: "The supplier's code.") var code: String
        @Option(help: "The supplier's name.") var name: String
        @Option(help: "A site (repeatable).") var site: [String] = []
        @Option(help: "A contact as 'Name <email> role' (repeatable).") var contact: [String] = []
        @Option(help: "Makes the call safe to repeat.") var idempotencyKey: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let contacts = try self.contact.map { text -> Conform_Supplier_V1_SupplierContact in
                let parsed = try CustomerCommand.Add.contact(text)
                return .with { $0.name = parsed.name; $0.email = parsed.email; $0.role = parsed.role }
            }
            let supplier = try await SupplierCommand.call(self.connection) { client in
                try await client.createSupplier(
                    .with { $0.code = self.code; $0.name = self.name; $0.sites = self.site; $0.contacts = contacts },
                    metadata: self.connection.metadata(idempotencyKey: self.idempotencyKey), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([supplier], asList: false) }
            print("Added supplier \(supplier.code) (\(supplier.name)).")
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a supplier, its ASL entry and its audits.")
        @Argument(help: "The supplier's code.") var code: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (supplier, entry, audits) = try await SupplierCommand.call(self.connection) { client in
                let supplier = try await client.getSupplier(.with { $0.code = self.code }, metadata: self.connection.metadata(), options: self.connection.callOptions())
                // The ASL page by page, until the supplier's entry is found or the list ends.
                var entry: Conform_Supplier_V1_AslEntry?
                var aslToken = ""
                repeat {
                    let page = try await client.listAsl(
                        .with { $0.pageSize = 500; $0.pageToken = aslToken }, metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                    entry = page.entries.first { $0.supplier == supplier.code }
                    aslToken = page.nextPageToken
                } while entry == nil && !aslToken.isEmpty
                let audits = try await collectPages(after: "", all: true) { token in
                    let page = try await client.listAudits(
                        .with { $0.supplier = self.code; $0.pageSize = 500; $0.pageToken = token },
                        metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                    return (page.audits, page.nextPageToken)
                }.items
                return (supplier, entry, audits)
            }
            if self.connection.json { return try printJSON([supplier], asList: false) }
            print("\(supplier.code) (\(supplier.name)), sites: \(supplier.sites.joined(separator: "; "))")
            if let entry {
                print("ASL: \(entry.status.label) for \(entry.scope.joined(separator: ", ")), approved \(entry.approvedOn) by \(entry.approvedBy), valid until \(entry.validUntil)")
            } else {
                print("ASL: not listed")
            }
            print(SupplierCommand.auditTable(audits))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List suppliers, ordered by code.")
        @OptionGroup var paging: PageOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (suppliers, token) = try await SupplierCommand.call(self.connection) { client in
                try await self.paging.collect { pageSize, token in
                    let page = try await client.listSuppliers(
                        .with { $0.pageSize = pageSize; $0.pageToken = token }, metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                    return (page.suppliers, page.nextPageToken)
                }
            }
            if self.connection.json { return try printJSON(suppliers, asList: true) }
            var table = Table("CODE", "NAME", "SITES")
            for supplier in suppliers { table.add(supplier.code, supplier.name, supplier.sites.joined(separator: "; ")) }
            print(table.render())
            PageOptions.printMore(token)
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a supplier on the Approved Supplier List, or change its entry (quality managers only).",
            discussion: "Example: conform supplier approve ALU-NORD --status approved --scope '6061-T6 bar' --from 2024-01-15 --until 2026-12-31"
        )
        @Argument(help: "The supplier's code.") var code: String
        @Option(help: "approved, conditional, probation or disqualified.") var status: String
        @Option(help: "A material or process the approval covers (repeatable).") var scope: [String] = []
        @Option(help: "Approval date, YYYY-MM-DD.") var from: String
        @Option(help: "Last day the approval holds, YYYY-MM-DD.") var until: String
        @Option(help: "Notes, e.g. the conditions.") var notes: String = ""
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let statuses: [String: Conform_Supplier_V1_ApprovalStatus] = ["approved": .approved, "conditional": .conditional, "probation": .probation, "disqualified": .disqualified]
            guard let status = statuses[self.status] else { throw CLIError("--status must be approved, conditional, probation or disqualified") }
            let entry = try await SupplierCommand.call(self.connection) { client in
                try await client.setAslEntry(
                    .with {
                        $0.supplier = self.code; $0.status = status; $0.scope = self.scope; $0.approvedOn = self.from; $0.validUntil = self.until; $0.notes = self.notes
                    },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([entry], asList: false) }
            print("\(entry.supplier) is \(entry.status.label) for \(entry.scope.joined(separator: ", ")) until \(entry.validUntil).")
        }
    }

    struct ASL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "asl", abstract: "The Approved Supplier List, ordered by supplier.")
        @OptionGroup var paging: PageOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (entries, token) = try await SupplierCommand.call(self.connection) { client in
                try await self.paging.collect { pageSize, token in
                    let page = try await client.listAsl(
                        .with { $0.pageSize = pageSize; $0.pageToken = token }, metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                    return (page.entries, page.nextPageToken)
                }
            }
            if self.connection.json { return try printJSON(entries, asList: true) }
            var table = Table("SUPPLIER", "STATUS", "SCOPE", "APPROVED", "BY", "VALID UNTIL")
            for entry in entries { table.add(entry.supplier, entry.status.label, entry.scope.joined(separator: ", "), entry.approvedOn, entry.approvedBy, entry.validUntil) }
            print(table.render())
            PageOptions.printMore(token)
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a supplier audit.",
            discussion: "Example: conform supplier audit ALU-NORD --date 2025-01-10 --type process --auditor 'R. Auditor' --result passed --next-due 2026-01-10"
        )
        @Argument(help: "The supplier's code.") var code: String
        @Option(help: "The audit's date, YYYY-MM-DD.") var date: String
        @Option(help: "e.g. process, system, product.") var type: String
        @Option(help: "Who audited.") var auditor: String
        @Option(help: "passed, passed-with-findings or failed.") var result: String
        @Option(help: "A finding (repeatable).") var finding: [String] = []
        @Option(help: "When the next audit is due, YYYY-MM-DD.") var nextDue: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let results: [String: Conform_Supplier_V1_AuditResult] = ["passed": .passed, "passed-with-findings": .passedWithFindings, "failed": .failed]
            guard let result = results[self.result] else { throw CLIError("--result must be passed, passed-with-findings or failed") }
            let audit = try await SupplierCommand.call(self.connection) { client in
                try await client.recordAudit(
                    .with {
                        $0.supplier = self.code; $0.date = self.date; $0.type = self.type; $0.auditor = self.auditor; $0.result = result
                        $0.findings = self.finding; $0.nextDue = self.nextDue
                    },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([audit], asList: false) }
            print("Recorded audit \(audit.id) of \(audit.supplier) on \(audit.date): \(self.result); next due \(audit.nextDue).")
        }
    }

    struct Audits: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A supplier's audits, newest first.")
        @Argument(help: "The supplier's code.") var code: String
        @OptionGroup var paging: PageOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (audits, token) = try await SupplierCommand.call(self.connection) { client in
                try await self.paging.collect { pageSize, token in
                    let page = try await client.listAudits(
                        .with { $0.supplier = self.code; $0.pageSize = pageSize; $0.pageToken = token },
                        metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                    return (page.audits, page.nextPageToken)
                }
            }
            if self.connection.json { return try printJSON(audits, asList: true) }
            print(SupplierCommand.auditTable(audits))
            PageOptions.printMore(token)
        }
    }

    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the receiving policy, or set how old a supplier's last audit may be (quality managers only).")
        @Option(help: "The longest a supplier's last audit may be before a receipt, in days.") var maxAuditAgeDays: UInt32?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let policy = try await SupplierCommand.call(self.connection) { client in
                if let days = self.maxAuditAgeDays {
                    return try await client.setReceivingPolicy(.with { $0.maxAuditAgeDays = days }, metadata: self.connection.metadata(), options: self.connection.callOptions())
                }
                return try await client.getReceivingPolicy(.init(), metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([policy], asList: false) }
            print("Receipts are blocked when the supplier's last passed audit is more than \(policy.maxAuditAgeDays) days old" + (policy.setBy.isEmpty ? " (the default)." : " (set by \(policy.setBy))."))
        }
    }

    struct Due: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Supplier audits coming due, and approvals that have expired.")
        @Option(help: "Audits due within this many days.") var within: UInt32 = 30
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            // Every page: each reports on a page of suppliers.
            let due = try await SupplierCommand.call(self.connection) { client in
                var due = Conform_Supplier_V1_ListDueResponse()
                var token = ""
                repeat {
                    let page = try await client.listDue(
                        .with { $0.withinDays = self.within; $0.pageSize = 500; $0.pageToken = token },
                        metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                    due.audits += page.audits
                    due.expiredApprovals += page.expiredApprovals
                    token = page.nextPageToken
                } while !token.isEmpty
                due.audits.sort { ($0.nextDue, $0.supplier) < ($1.nextDue, $1.supplier) }
                return due
            }
            if self.connection.json { return try printJSON([due], asList: false) }
            var table = Table("SUPPLIER", "AUDIT DUE", "DAYS LEFT")
            for audit in due.audits { table.add(audit.supplier, audit.nextDue, audit.daysLeft < 0 ? "\(-audit.daysLeft) overdue" : "\(audit.daysLeft)") }
            print(due.audits.isEmpty ? "No audit is due within \(self.within) days." : table.render())
            for expired in due.expiredApprovals { print("Approval of \(expired.supplier) expired on \(expired.validUntil): its receipts are blocked.") }
        }
    }

    static func auditTable(_ audits: [Conform_Supplier_V1_SupplierAudit]) -> String {
        var table = Table("ID", "DATE", "TYPE", "AUDITOR", "RESULT", "NEXT DUE", "FINDINGS")
        for audit in audits {
            table.add("\(audit.id)", audit.date, audit.type, audit.auditor, audit.result.label, audit.nextDue, "\(audit.findings.count)")
        }
        return audits.isEmpty ? "No audits." : table.render()
    }
}

extension Conform_Supplier_V1_ApprovalStatus {
    var label: String {
        switch self {
        case .approved: return "approved"
        case .conditional: return "conditional"
        case .probation: return "probation"
        case .disqualified: return "disqualified"
        case .unspecified, .UNRECOGNIZED: return "?"
        }
    }
}

extension Conform_Supplier_V1_AuditResult {
    var label: String {
        switch self {
        case .passed: return "passed"
        case .passedWithFindings: return "passed-with-findings"
        case .failed: return "failed"
        case .unspecified, .UNRECOGNIZED: return "?"
        }
    }
}
