import ArgumentParser
import ConformProtos
import Foundation
import GRPCCore

struct ReportingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reporting",
        abstract: "The reporting service: dashboards, audit evidence reports, the read model's feeds.",
        subcommands: [DashboardCommand.self, AuditReportCommand.self, Feeds.self]
    )

    struct DashboardCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dashboard",
            abstract: "Compliance at a glance for a customer or a product: active batches, per requirement, and what is missing.",
            discussion: "Red: an active batch misses a mandatory requirement. Amber: one misses only preferred ones, or is not evaluated yet. Green: neither."
        )
        @Option(help: "The customer's code.") var customer: String = ""
        @Option(help: "The product's code.") var product: String = ""
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let dashboard = try await self.connection.withClient(.reporting) { client in
                try await Conform_Reporting_V1_ReportingService.Client(wrapping: client).getDashboard(
                    .with { $0.customer = self.customer; $0.product = self.product }, metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([dashboard], asList: false) }
            let subject = dashboard.customer.isEmpty ? "Product \(dashboard.product)" : "Customer \(dashboard.customer)"
            print("\(subject) on \(dashboard.evaluatedOn): \(dashboard.status.label) (\(dashboard.statusReason)); \(dashboard.activeBatches) active batch(es)")
            var tallies = Table("REQUIREMENT", "STRENGTH", "COMPLIANT", "NON-COMPLIANT", "WAIVED")
            for tally in dashboard.requirements {
                tallies.add("\(tally.customer)/\(tally.requirementID)", tally.mandatory ? "mandatory" : "preferred", "\(tally.compliant)", "\(tally.nonCompliant)", "\(tally.waived)")
            }
            if !dashboard.requirements.isEmpty { print(tallies.render()) }
            if !dashboard.nonCompliant.isEmpty {
                var misses = Table("BATCH", "PRODUCT", "REQUIREMENT", "DAYS OVERDUE", "MISSING")
                for miss in dashboard.nonCompliant {
                    misses.add(miss.batch, miss.product, "\(miss.customer)/\(miss.requirementID)", "\(miss.daysOverdue)", miss.missing.joined(separator: "; "))
                }
                print(misses.render())
            }
        }
    }

    struct Feeds: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "How far the read model has read each service's event feed, and what it knows of batches.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let status = try await self.connection.withClient(.reporting) { client in
                try await Conform_Reporting_V1_ReportingService.Client(wrapping: client).feedStatus(
                    .init(), metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([status], asList: false) }
            var table = Table("FEED", "EVENTS APPLIED", "CURSOR", "UPDATED", "PROBLEM")
            for feed in status.feeds {
                table.add(feed.source, "\(feed.applied)", feed.cursor, feed.updatedAtMicros == 0 ? "-" : formatMicros(feed.updatedAtMicros), feed.problem)
            }
            print(table.render())
            print("Batches: \(status.batchesOpen) open, \(status.batchesReleased) released, \(status.batchesRejected) rejected.")
        }
    }
}

extension Conform_Reporting_V1_DashboardStatus {
    var label: String {
        switch self {
        case .green: return "GREEN"
        case .amber: return "AMBER"
        case .red: return "RED"
        case .unspecified, .UNRECOGNIZED: return "?"
        }
    }
}
