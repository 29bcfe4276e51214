import ArgumentParser
import ConformProtos
import Foundation
import GRPCCore
import SwiftProtobuf

/// `conform reporting audit-report`: what a customer's auditor asks for.
struct AuditReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit-report",
        abstract: "An audit evidence report for a customer and a period: batches, compliance, a reproducible sample and the complete archive.",
        discussion: """
            Prints the summary. --html FILE writes the whole report as one self-contained HTML document \
            to hand an auditor; --json prints it whole as JSON (summary, batches, archive). The sample \
            is drawn with a seed the report prints: --seed with that number draws the same sample again.
            """
    )
    @Option(help: "The customer's code.") var customer: String
    @Option(name: .customLong("requirement"), help: "Only this requirement (repeat for more).") var requirements: [String] = []
    @Option(help: "First day of the period (YYYY-MM-DD).") var from: String = ""
    @Option(help: "Last day of the period (YYYY-MM-DD, default today).") var to: String = ""
    @Option(help: "The period's length in days ending --to, when --from is not given.") var days: UInt32 = 90
    @Option(help: "How many evidence items to sample.") var sample: UInt32 = 5
    @Option(help: "The sample's seed (default: a new one, printed).") var seed: UInt64 = 0
    @Option(help: "Write the report as self-contained HTML to this file.") var html: String?
    @OptionGroup var connection: ConnectionOptions

    /// A report of years of batches takes seconds to build: at least two minutes, whatever --timeout says.
    private func reportOptions() -> CallOptions {
        var options = self.connection.callOptions()
        options.timeout = .seconds(max(Int64(self.connection.timeout), 120))
        return options
    }

    func run() async throws {
        let request = Conform_Reporting_V1_AuditReportRequest.with {
            $0.customer = self.customer
            $0.requirementIds = self.requirements
            $0.from = self.from
            $0.to = self.to
            $0.days = self.days
            $0.sampleSize = self.sample
            $0.seed = self.seed
            $0.html = self.html != nil
        }
        let (summary, batches, archive, document) = try await self.connection.withClient(.reporting) { client in
            try await Conform_Reporting_V1_ReportingService.Client(wrapping: client).getAuditReport(
                request, metadata: self.connection.metadata(), options: self.reportOptions()
            ) { response in
                var summary = Conform_Reporting_V1_AuditReportSummary()
                var batches: [Conform_Reporting_V1_ReportedBatch] = []
                var archive: [Conform_Reporting_V1_ArchivedItem] = []
                var document = Data()
                for try await part in response.messages {
                    switch part.part {
                    case .summary(let value)?: summary = value
                    case .batches(let page)?: batches += page.batches
                    case .archive(let page)?: archive += page.items
                    case .html(let chunk)?: document += chunk
                    case nil: break
                    }
                }
                return (summary, batches, archive, document)
            }
        }
        guard batches.count == Int(summary.batches), archive.count == Int(summary.archiveItems) else {
            throw CLIError("the report arrived incomplete (\(batches.count) of \(summary.batches) batches, \(archive.count) of \(summary.archiveItems) items); ask again")
        }
        if let path = self.html {
            try document.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
        if self.connection.json {
            var options = JSONEncodingOptions()
            options.preserveProtoFieldNames = true
            let parts = [
                "\"summary\": " + (try summary.jsonString(options: options)),
                "\"batches\": [" + (try batches.map { try $0.jsonString(options: options) }.joined(separator: ",\n")) + "]",
                "\"archive\": [" + (try archive.map { try $0.jsonString(options: options) }.joined(separator: ",\n")) + "]",
            ]
            return print("{" + parts.joined(separator: ",\n") + "}")
        }
        let scope = summary.requirementIds.isEmpty ? "all requirements" : summary.requirementIds.joined(separator: ", ")
        print("Audit evidence report: customer \(summary.customer), \(scope), \(summary.from) to \(summary.to)")
        print(
            "Batches: \(summary.totalBatches); compliant \(summary.compliant), non-compliant \(summary.nonCompliant), not evaluated \(summary.pending); "
                + String(format: "%.1f %% compliant", summary.compliancePercent)
        )
        let nonCompliant = batches.filter { $0.outcome == .nonCompliant }
        if !nonCompliant.isEmpty {
            var table = Table("BATCH", "PRODUCT", "MADE", "STATUS", "WHY NOT COMPLIANT")
            for batch in nonCompliant { table.add(batch.number, batch.product, batch.manufactureDate, batch.status, batch.reasons.joined(separator: "; ")) }
            print(table.render())
        }
        print("Sample of \(summary.sample.count) evidence item(s), seed \(summary.seed) (--from \(summary.from) --to \(summary.to) --seed \(summary.seed) draws it again):")
        var sampleTable = Table("ITEM", "BATCH", "TYPE", "FILE", "SHA-256", "SIGNED")
        for item in summary.sample {
            let signed = item.signatures.map { "\($0.printedName) (\($0.meaning)) \(formatMicros($0.signedAtMicros))" }.joined(separator: "; ")
            sampleTable.add("\(item.id)", item.batch, item.type, item.fileName, item.sha256, signed)
        }
        if !summary.sample.isEmpty { print(sampleTable.render()) }
        print("Complete archive: \(archive.count) item(s)\(self.html.map { "; HTML report written to \($0)" } ?? " (--html FILE or --json for the whole list)").")
    }
}
