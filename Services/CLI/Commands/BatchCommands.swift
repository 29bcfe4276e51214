import ArgumentParser
import ConformDomain
import ConformProtos
import ConformWire
import Foundation
import GRPCCore

typealias BatchServiceClient = Conform_Batch_V1_BatchService.Client

struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Batches: made for one customer, carrying its requirements, released only when they are met.",
        subcommands: [
            Create.self, Get.self, List.self, Record.self, Consume.self, Serialize.self, NFC.self, Trace.self, ComplianceCommand.self, Waive.self,
            Release.self, Reject.self, Amend.self, Hold.self, Archive.self, Delete.self, Mode.self,
        ]
    )

    /// Runs `body` with a batch service client, as the CLI's principal.
    static func call<Result: Sendable>(
        _ connection: ConnectionOptions,
        _ body: (BatchServiceClient<ConformWireClientTransport>) async throws -> Result
    ) async throws -> Result {
        try await connection.withClient(.batch) { client in try await body(BatchServiceClient(wrapping: client)) }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a batch for its customer: it carries the requirement versions in force on its manufacture date.",
            discussion: "Example: conform batch create B-2025-0042 --product FAST-M8-12.9 --customer A --date 2025-03-02 --quantity 500 --order PO-A-2024-120"
        )
        @Argument(help: "The batch number.") var number: String
        @Option(help: "The product's code.") var product: String
        @Option(help: "The destination customer: whose requirements the batch carries.") var customer: String = ""
        @Option(help: "The manufacture date, YYYY-MM-DD.") var date: String
        @Option(help: "How many units.") var quantity: UInt32
        @Option(help: "The customer's order or contract reference.") var order: String = ""
        @Option(help: "Makes the call safe to repeat.") var idempotencyKey: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let batch = try await BatchCommand.call(self.connection) { client in
                try await client.createBatch(
                    .with {
                        $0.number = self.number; $0.product = self.product; $0.customer = self.customer
                        $0.manufactureDate = self.date; $0.quantity = self.quantity; $0.orderReference = self.order
                    },
                    metadata: self.connection.metadata(idempotencyKey: self.idempotencyKey), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([batch], asList: false) }
            print(BatchCommand.describe(batch))
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a batch: its requirements, record, serials and amendments.")
        @Argument(help: "The batch number.") var number: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let batch = try await BatchCommand.call(self.connection) { client in
                try await client.getBatch(.with { $0.number = self.number }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([batch], asList: false) }
            print(BatchCommand.describe(batch))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List batches, of one customer or product or all.")
        @Option(help: "Only this customer's.") var customer: String = ""
        @Option(help: "Only of this product.") var product: String = ""
        @OptionGroup var paging: PageOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (batches, token) = try await self.paging.collect { size, token in
                let page = try await BatchCommand.call(self.connection) { client in
                    try await client.listBatches(
                        .with { $0.customer = self.customer; $0.product = self.product; $0.pageSize = size; $0.pageToken = token },
                        metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                }
                return (page.batches, page.nextPageToken)
            }
            if self.connection.json { return try printJSON(batches, asList: true) }
            var table = Table("BATCH", "PRODUCT", "CUSTOMER", "MADE", "QTY", "STATUS", "REQUIREMENTS")
            for batch in batches {
                table.add(batch.number, batch.product, batch.customer, batch.manufactureDate, "\(batch.quantity)", batch.status.label, "\(batch.requirements.count)")
            }
            print(table.render())
            PageOptions.printMore(token)
        }
    }

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fill in record fields the batch's requirements ask for, each checked against its type.",
            discussion: "Example: conform batch record B-2025-0042 --field smelter-production-date=2025-01-03"
        )
        @Argument(help: "The batch number.") var number: String
        @Option(help: "NAME=VALUE (repeatable).") var field: [String]
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let values = try pairs(self.field, option: "--field")
            let batch = try await BatchCommand.call(self.connection) { client in
                try await client.recordFields(.with { $0.number = self.number; $0.values = values }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([batch], asList: false) }
            print(BatchCommand.describe(batch))
        }
    }

    struct Consume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the material lots a batch consumes; a lot blocked at receipt stops release until its exception is approved."
        )
        @Argument(help: "The batch number.") var number: String
        @Option(help: "A lot number as received (repeatable).") var lot: [String]
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let batch = try await BatchCommand.call(self.connection) { client in
                try await client.consumeLots(.with { $0.number = self.number; $0.lots = self.lot }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([batch], asList: false) }
            print("Batch \(batch.number) consumes lots \(batch.lots.joined(separator: ", ")).")
        }
    }

    struct Serialize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give every unit a serial number with a QR link to the batch's genealogy.")
        @Argument(help: "The batch number.") var number: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let batch = try await BatchCommand.call(self.connection) { client in
                try await client.assignSerials(.with { $0.number = self.number }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([batch], asList: false) }
            print("Batch \(batch.number): \(batch.serials.count) serial numbers, e.g. \(batch.serials.first?.serial ?? "") -> \(batch.serials.first?.qrPayload ?? "")")
        }
    }

    struct NFC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "nfc", abstract: "Record the NFC tag written to each unit.")
        @Argument(help: "The batch number.") var number: String
        @Option(help: "SERIAL=UID, the tag's UID in hex (repeatable).") var tag: [String]
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let tags = try pairs(self.tag, option: "--tag")
            let batch = try await BatchCommand.call(self.connection) { client in
                try await client.recordNfcTags(.with { $0.number = self.number; $0.tags = tags }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([batch], asList: false) }
            print("Batch \(batch.number): \(batch.serials.filter { !$0.nfcTag.isEmpty }.count) of \(batch.serials.count) units tagged.")
        }
    }

    struct Trace: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What a unit's QR link resolves to: its batch's genealogy.")
        @Argument(help: "The unit's serial number.") var serial: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let genealogy = try await BatchCommand.call(self.connection) { client in
                try await client.resolveSerial(.with { $0.serial = self.serial }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([genealogy], asList: false) }
            print("""
                Unit \(genealogy.serial.serial): batch \(genealogy.batch) of \(genealogy.product) for \(genealogy.customer), made \(genealogy.manufactureDate) (\(genealogy.status.label))
                Order: \(genealogy.orderReference.isEmpty ? "-" : genealogy.orderReference)
                Requirements: \(genealogy.requirements.joined(separator: ", "))
                Evidence: \(genealogy.evidence.isEmpty ? "none yet" : genealogy.evidence.joined(separator: "; "))
                """)
        }
    }

    struct ComplianceCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compliance",
            abstract: "Per requirement: satisfied, unsatisfied, waived or not applicable, and why."
        )
        @Argument(help: "The batch number.") var number: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let report = try await BatchCommand.call(self.connection) { client in
                try await client.compliance(.with { $0.number = self.number }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([report], asList: false) }
            print(BatchCommand.complianceText(report))
        }
    }

    struct Waive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Waive one requirement for one batch, with the customer's approval (quality managers only)."
        )
        @Argument(help: "The batch number.") var number: String
        @Option(help: "CUSTOMER/REQUIREMENT-ID, e.g. A/CSR-AUTO-0847.") var requirement: String
        @Option(help: "Why.") var reason: String
        @Option(help: "The customer's approval, e.g. its deviation number.") var approval: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let parts = self.requirement.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw CLIError("--requirement must be CUSTOMER/REQUIREMENT-ID, e.g. A/CSR-AUTO-0847") }
            let report = try await BatchCommand.call(self.connection) { client in
                try await client.waiveRequirement(
                    .with {
                        $0.number = self.number; $0.customer = parts[0]; $0.requirementID = parts[1]
                        $0.reason = self.reason; $0.customerApprovalReference = self.approval
                    },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([report], asList: false) }
            print(BatchCommand.complianceText(report))
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Release a batch to its customer, signed with your signing key (meaning: approved).",
            discussion: "Refused, listing every unmet mandatory requirement with what is missing and days overdue, while any is unmet. Unmet preferred requirements only warn."
        )
        @Argument(help: "The batch number.") var number: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let key = try SigningKeyFile(connection: self.connection)
            let batch = try await BatchCommand.call(self.connection) { client in
                try await client.getBatch(.with { $0.number = self.number }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            let signatory = try await SignatoryCommand.me(self.connection)
            let (manifest, signature) = try key.sign(target: "batch:\(batch.number)", digest: batch.recordDigest, meaning: .approved, signatory: signatory)
            let decision = try await BatchCommand.call(self.connection) { client in
                try await client.release(
                    .with { $0.number = self.number; $0.manifest = manifest; $0.signature = signature },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([decision], asList: false) }
            print("Released batch \(decision.batch.number) to \(decision.batch.customer), signed by \(signatory.printedName) (signature \(decision.batch.releaseSignature)).")
            for warning in decision.warnings { print("warning: \(warning)") }
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a batch; its record becomes read-only.")
        @Argument(help: "The batch number.") var number: String
        @Option(help: "Why.") var reason: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let batch = try await BatchCommand.call(self.connection) { client in
                try await client.reject(.with { $0.number = self.number; $0.reason = self.reason }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([batch], asList: false) }
            print("Rejected batch \(batch.number).")
        }
    }

    struct Amend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Correct a completed (read-only) record and sign it as amended with your signing key.",
            discussion: "The amendment records who, when, why and what changed; your signature (meaning: amended) approves the record as amended. Signatures made before stay valid for the record as they signed it."
        )
        @Argument(help: "The batch number.") var number: String
        @Option(help: "Why.") var reason: String
        @Option(help: "NAME=VALUE (repeatable).") var field: [String]
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let values = try pairs(self.field, option: "--field")
            // The key and the signatory first: an amendment made without them would wait for its approval.
            let key = try SigningKeyFile(connection: self.connection)
            let signatory = try await SignatoryCommand.me(self.connection)
            let batch = try await BatchCommand.call(self.connection) { client in
                try await client.amend(
                    .with { $0.number = self.number; $0.reason = self.reason; $0.values = values },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            // The amendment's approval: the quality manager's signature of the record as amended.
            let (manifest, signature) = try key.sign(target: "batch:\(batch.number)", digest: batch.recordDigest, meaning: .amended, signatory: signatory)
            let signed: Conform_Evidence_V1_Signature
            do {
                signed = try await SignatoryCommand.call(self.connection) { client in
                    try await client.sign(.with { $0.manifest = manifest; $0.signature = signature }, metadata: self.connection.metadata(), options: self.connection.callOptions())
                }
            } catch {
                throw CLIError(
                    "amendment \(batch.amendments.count) of \(batch.number) is recorded but not approved: \(error)\n"
                        + "approve it with: conform sign batch \(batch.number) --meaning amended"
                )
            }
            if self.connection.json { return try printJSON([batch], asList: false) }
            print(BatchCommand.describe(batch))
            print("Amendment \(batch.amendments.count) approved: signed (amended) by \(signed.printedName), signature \(signed.id).")
        }
    }

    struct Hold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a batch under legal hold (or --lift it): no archival, no deletion.")
        @Argument(help: "The batch number.") var number: String
        @Option(help: "Why, e.g. the litigation or investigation.") var reason: String
        @Flag(help: "Lift the hold instead.") var lift = false
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let batch = try await BatchCommand.call(self.connection) { client in
                try await client.setLegalHold(
                    .with { $0.number = self.number; $0.hold = !self.lift; $0.reason = self.reason },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([batch], asList: false) }
            print(batch.legalHold ? "Batch \(batch.number) is under legal hold: \(batch.legalHoldReason)." : "Batch \(batch.number) is no longer under legal hold.")
        }
    }

    struct Archive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Archive a completed batch (never one under legal hold).")
        @Argument(help: "The batch number.") var number: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let batch = try await BatchCommand.call(self.connection) { client in
                try await client.archive(.with { $0.number = self.number }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([batch], asList: false) }
            print("Archived batch \(batch.number).")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an open batch made in error: only without evidence, never under legal hold.")
        @Argument(help: "The batch number.") var number: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let deleted = try await BatchCommand.call(self.connection) { client in
                try await client.deleteBatch(.with { $0.number = self.number }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([deleted], asList: false) }
            print("Deleted batch \(deleted.number).")
        }
    }

    struct Mode: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Whether a product's batches carry only their customer's requirements or every customer's (consolidation)."
        )
        @Argument(help: "The product's code.") var product: String
        @Flag(exclusivity: .exclusive, help: "Every customer's requirements (--consolidated) or the batch's customer's only (--single).")
        var mode: ModeChoice
        @OptionGroup var connection: ConnectionOptions

        enum ModeChoice: String, EnumerableFlag {
            case consolidated, single
        }

        func run() async throws {
            let result = try await BatchCommand.call(self.connection) { client in
                try await client.setProductMode(
                    .with { $0.product = self.product; $0.consolidated = self.mode == .consolidated },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([result], asList: false) }
            print("Batches of \(result.product) carry \(result.consolidated ? "every customer's requirements for it" : "their own customer's requirements").")
        }
    }

    static func describe(_ batch: Conform_Batch_V1_Batch) -> String {
        var lines = [
            "Batch \(batch.number): \(batch.quantity) × \(batch.product) for \(batch.customer), made \(batch.manufactureDate), \(batch.status.label)"
                + (batch.consolidated ? " (consolidated)" : "") + (batch.legalHold ? ", LEGAL HOLD: \(batch.legalHoldReason)" : "")
                + (batch.archived ? ", archived" : ""),
            "Record digest: \(batch.recordDigest)",
        ]
        var table = Table("REQUIREMENT", "VERSION", "STRENGTH", "TITLE")
        for requirement in batch.requirements {
            table.add("\(requirement.customer)/\(requirement.requirementID)", requirement.version, requirement.strength.label, requirement.title)
        }
        lines.append(batch.requirements.isEmpty ? "No requirements apply." : table.render())
        if !batch.fields.isEmpty {
            lines.append("Record: " + batch.fields.map { "\($0.name)=\($0.value) (\($0.recordedBy))" }.joined(separator: ", "))
        }
        if !batch.lots.isEmpty {
            lines.append("Lots: " + batch.lots.joined(separator: ", "))
        }
        if !batch.serials.isEmpty {
            lines.append("Serials: \(batch.serials.count), \(batch.serials.filter { !$0.nfcTag.isEmpty }.count) with NFC tags")
        }
        for amendment in batch.amendments {
            lines.append("Amendment \(amendment.number) by \(amendment.amendedBy) at \(formatMicros(amendment.amendedAtMicros)): \(amendment.reason) [\(amendment.changes.joined(separator: "; "))]")
        }
        return lines.joined(separator: "\n")
    }

    static func complianceText(_ report: Conform_Batch_V1_ComplianceReport) -> String {
        var lines = ["Batch \(report.batch) for \(report.customer) on \(report.evaluatedOn): \(report.releasable ? "releasable" : "NOT releasable")"]
        for lot in report.blockedLots { lines.append("  BLOCKED: \(lot)") }
        for requirement in report.requirements {
            let overdue = requirement.state == .unsatisfied ? ", \(requirement.daysOverdue) day(s) overdue" : ""
            lines.append("  \(requirement.customer)/\(requirement.requirementID) v\(requirement.version) [\(requirement.strength.label)]: \(requirement.state.label)\(overdue)")
            lines += requirement.reasons.map { "    - \($0)" }
            lines += requirement.missing.map { "    missing: \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

extension Conform_Batch_V1_BatchStatus {
    var label: String {
        switch self {
        case .open: return "open"
        case .released: return "released"
        case .rejected: return "rejected"
        case .unspecified, .UNRECOGNIZED: return "?"
        }
    }
}

extension Conform_Batch_V1_RequirementState {
    var label: String {
        switch self {
        case .satisfied: return "satisfied"
        case .unsatisfied: return "UNSATISFIED"
        case .waived: return "waived"
        case .notApplicable: return "not applicable"
        case .unspecified, .UNRECOGNIZED: return "?"
        }
    }
}
