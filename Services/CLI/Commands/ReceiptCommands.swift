import ArgumentParser
import ConformDomain
import ConformProtos
import Foundation
import GRPCCore

struct ReceiptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt",
        abstract: "Material receipts and the receiving gate: accepted, or blocked with the reason; exceptions.",
        subcommands: [Record.self, Get.self, List.self, Exception.self, Approve.self]
    )

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a lot received from a supplier; the gate says accepted or blocked, and why.",
            discussion: "Example: conform receipt record HT-2025-118 --supplier ALU-NORD --material '6061-T6 bar' --quantity '2 t' --as operator"
        )
        @Argument(help: "The lot number.") var lot: String
        @Option(help: "The supplier's code.") var supplier: String
        @Option(help: "The material, as the ASL names it.") var material: String
        @Option(help: "How much, e.g. '2 t' or '500 pcs'.") var quantity: String
        @Option(help: "The day it arrived, YYYY-MM-DD (default today, UTC).") var date: String = ""
        @Option(help: "The evidence item of the CoA that came with it.") var coa: UInt64 = 0
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let receipt = try await SupplierCommand.call(self.connection) { client in
                try await client.recordReceipt(
                    .with {
                        $0.lot = self.lot; $0.supplier = self.supplier; $0.material = self.material; $0.quantity = self.quantity
                        $0.receivedOn = self.date; $0.coaEvidence = self.coa
                    },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([receipt], asList: false) }
            print(ReceiptCommand.describe(receipt))
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a receipt, its verdict and any exception.")
        @Argument(help: "The lot number.") var lot: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let receipt = try await SupplierCommand.call(self.connection) { client in
                try await client.getReceipt(.with { $0.lot = self.lot }, metadata: self.connection.metadata(), options: self.connection.callOptions())
            }
            if self.connection.json { return try printJSON([receipt], asList: false) }
            print(ReceiptCommand.describe(receipt))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List receipts, of one supplier or all, in the order they were received.")
        @Option(help: "Only this supplier's.") var supplier: String = ""
        @OptionGroup var paging: PageOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (receipts, token) = try await SupplierCommand.call(self.connection) { client in
                try await self.paging.collect { pageSize, token in
                    let page = try await client.listReceipts(
                        .with { $0.supplier = self.supplier; $0.pageSize = pageSize; $0.pageToken = token },
                        metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                    return (page.receipts, page.nextPageToken)
                }
            }
            if self.connection.json { return try printJSON(receipts, asList: true) }
            var table = Table("LOT", "SUPPLIER", "MATERIAL", "RECEIVED", "VERDICT", "EXCEPTION")
            for receipt in receipts {
                table.add(receipt.lot, receipt.supplier, receipt.material, receipt.receivedOn, receipt.verdict == .accepted ? "accepted" : "BLOCKED", receipt.exception.label)
            }
            print(table.render())
            PageOptions.printMore(token)
        }
    }

    struct Exception: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ask for an exception to use a blocked lot, with a written justification.")
        @Argument(help: "The lot number.") var lot: String
        @Option(help: "Why the lot should be used anyway.") var justification: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let receipt = try await SupplierCommand.call(self.connection) { client in
                try await client.requestException(
                    .with { $0.lot = self.lot; $0.justification = self.justification }, metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([receipt], asList: false) }
            print("Exception requested for lot \(receipt.lot); a quality manager approves it with 'conform receipt approve \(receipt.lot)'.")
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a requested exception, signed with your signing key (quality managers only)."
        )
        @Argument(help: "The lot number.") var lot: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let key = try SigningKeyFile(connection: self.connection)
            let signatory = try await SignatoryCommand.me(self.connection)
            let receipt = try await SupplierCommand.call(self.connection) { client in
                let digest = try await client.getReceiptDigest(.with { $0.lot = self.lot }, metadata: self.connection.metadata(), options: self.connection.callOptions())
                let (manifest, signature) = try key.sign(target: "lot:\(digest.lot)", digest: digest.digest, meaning: .approved, signatory: signatory)
                return try await client.approveException(
                    .with { $0.lot = self.lot; $0.manifest = manifest; $0.signature = signature },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([receipt], asList: false) }
            print("Approved the exception for lot \(receipt.lot), signed by \(signatory.printedName): batches may use it.")
        }
    }

    static func describe(_ receipt: Conform_Supplier_V1_Receipt) -> String {
        var lines = ["Lot \(receipt.lot): \(receipt.quantity) of \(receipt.material) from \(receipt.supplier), received \(receipt.receivedOn): "
            + (receipt.verdict == .accepted ? "ACCEPTED" : "BLOCKED")]
        lines += receipt.reasons.map { "  - \($0)" }
        if receipt.exception != .none {
            lines.append("Exception \(receipt.exception.label): \(receipt.exceptionJustification) (requested by \(receipt.exceptionRequestedBy)"
                + (receipt.exceptionApprovedBy.isEmpty ? ")" : ", approved by \(receipt.exceptionApprovedBy))"))
        }
        return lines.joined(separator: "\n")
    }
}

extension Conform_Supplier_V1_ExceptionState {
    var label: String {
        switch self {
        case .none: return "-"
        case .requested: return "requested"
        case .approved: return "approved"
        case .UNRECOGNIZED: return "?"
        }
    }
}
