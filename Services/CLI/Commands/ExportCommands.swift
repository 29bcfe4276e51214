import ArgumentParser
import ConformProtos
import Foundation
import GRPCCore

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Customer exports: each customer's own XML layout, generated per month, validated and queued for delivery.",
        discussion: """
            Generating a period again is idempotent: the same content changes nothing; changed data \
            makes a new revision, delivered as a new file. Deliveries go to CONFORM_EXPORT_DIR/<customer>/ \
            on the reporting service's host.
            """,
        subcommands: [Define.self, Definitions.self, Run.self, List.self, Show.self, Deliveries.self]
    )

    static func client(_ client: GRPCClient<some ClientTransport>) -> Conform_Reporting_V1_ReportingService.Client<some ClientTransport> {
        Conform_Reporting_V1_ReportingService.Client(wrapping: client)
    }

    static func row(_ export: Conform_Reporting_V1_CustomerExport) -> [String] {
        let delivery = export.hasDelivery
            ? "\(export.delivery.status)\(export.delivery.attempts > 0 ? " after \(export.delivery.attempts) attempt(s)" : "")\(export.delivery.lastError.isEmpty ? "" : ": \(export.delivery.lastError)")"
            : "-"
        return ["\(export.id)", export.customer, export.name, export.period, "r\(export.revision)", "v\(export.definitionVersion)", "\(export.records)", export.fileName, delivery]
    }

    struct Define: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Define (or change, as a new version) a customer's export layout.",
            discussion: """
                Each --field is ELEMENT=SOURCE, in order. Sources: batch.number, batch.product, \
                batch.manufacture_date, batch.status, batch.compliant, batch.missing, batch.evidence_count, customer.
                Example: conform export define --customer B --name monthly-quality --root QualityData \
                --record Lot --field LotNo=batch.number --field Part=batch.product --field Made=batch.manufacture_date
                """
        )
        @Option(help: "The customer's code.") var customer: String
        @Option(help: "The export's name, e.g. monthly-quality (lowercase letters, digits, '-').") var name: String
        @Option(help: "monthly (generated once each month has ended) or on-demand.") var schedule: String = "monthly"
        @Option(help: "The document's root element.") var root: String
        @Option(help: "The element of one batch's record.") var record: String
        @Option(name: .customLong("field"), help: "ELEMENT=SOURCE (repeat, in order).") var fields: [String] = []
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let fields = try self.fields.map { text -> Conform_Reporting_V1_ExportField in
                let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw CLIError("--field '\(text)' is not ELEMENT=SOURCE, e.g. LotNo=batch.number") }
                return .with { $0.element = parts[0]; $0.source = parts[1] }
            }
            let schedule = try ExportCommand.schedule(self.schedule)
            let definition = try await self.connection.withClient(.reporting) { client in
                try await ExportCommand.client(client).defineExport(
                    .with {
                        $0.definition = .with {
                            $0.customer = self.customer
                            $0.name = self.name
                            $0.schedule = schedule
                            $0.rootElement = self.root
                            $0.recordElement = self.record
                            $0.fields = fields
                        }
                    },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([definition], asList: false) }
            print("Export \(definition.customer)/\(definition.name) version \(definition.version) (\(definition.schedule.label)), defined by \(definition.definedBy)")
        }
    }

    struct Definitions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The current version of each export definition.")
        @Option(help: "Only this customer's.") var customer: String = ""
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let definitions = try await self.connection.withClient(.reporting) { client in
                try await collectPages(after: "", all: true) { token in
                    let page = try await ExportCommand.client(client).listExportDefinitions(
                        .with { $0.customer = self.customer; $0.pageSize = 500; $0.pageToken = token },
                        metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                    return (page.definitions, page.nextPageToken)
                }.items
            }
            if self.connection.json { return try printJSON(definitions, asList: true) }
            var table = Table("CUSTOMER", "NAME", "VERSION", "SCHEDULE", "LAYOUT")
            for definition in definitions {
                let layout = "<\(definition.rootElement)><\(definition.recordElement)>" + definition.fields.map { "<\($0.element)>=\($0.source)" }.joined(separator: " ")
                table.add(definition.customer, definition.name, "\(definition.version)", definition.schedule.label, layout)
            }
            print(table.render())
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a customer's export for a month now (idempotent: the same content changes nothing)."
        )
        @Option(help: "The customer's code.") var customer: String
        @Option(help: "The export's name.") var name: String
        @Option(help: "The month, YYYY-MM (default: the last month that has ended).") var period: String = ""
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let export = try await self.connection.withClient(.reporting) { client in
                try await ExportCommand.client(client).runExport(
                    .with { $0.customer = self.customer; $0.name = self.name; $0.period = self.period },
                    metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if self.connection.json { return try printJSON([export], asList: false) }
            let what = export.unchanged ? "unchanged since revision \(export.revision); nothing new queued" : "revision \(export.revision), queued for delivery"
            print("Export \(export.customer)/\(export.name) \(export.period): \(export.records) record(s), sha256 \(export.sha256), \(what) (\(export.fileName))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Generated exports, newest first, with their delivery.")
        @Option(help: "Only this customer's.") var customer: String = ""
        @OptionGroup var paging: PageOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (exports, token) = try await self.connection.withClient(.reporting) { client in
                try await self.paging.collect { pageSize, token in
                    let page = try await ExportCommand.client(client).listExports(
                        .with { $0.customer = self.customer; $0.pageSize = pageSize; $0.pageToken = token },
                        metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                    return (page.exports, page.nextPageToken)
                }
            }
            if self.connection.json { return try printJSON(exports, asList: true) }
            var table = Table("ID", "CUSTOMER", "NAME", "PERIOD", "REVISION", "LAYOUT", "RECORDS", "FILE", "DELIVERY")
            for export in exports { table.add(ExportCommand.row(export)) }
            print(table.render())
            PageOptions.printMore(token)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print an export's document (or write it with --output).")
        @Argument(help: "The export's id (`conform export list`).") var id: UInt64
        @Option(help: "Write the document to this file.") var output: String?
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let content = try await self.connection.withClient(.reporting) { client in
                try await ExportCommand.client(client).getExportContent(
                    .with { $0.id = self.id }, metadata: self.connection.metadata(), options: self.connection.callOptions()
                )
            }
            if let output = self.output {
                try content.content.write(to: URL(fileURLWithPath: output), options: .atomic)
                return print("Wrote \(output): \(content.content.count) bytes, sha256 \(content.export.sha256)")
            }
            if self.connection.json { return try printJSON([content], asList: false) }
            FileHandle.standardOutput.write(content.content)
        }
    }

    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The delivery queue: each export revision, its attempts and status.")
        @Option(help: "Only this customer's.") var customer: String = ""
        @OptionGroup var paging: PageOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let (deliveries, token) = try await self.connection.withClient(.reporting) { client in
                try await self.paging.collect { pageSize, token in
                    let page = try await ExportCommand.client(client).listDeliveries(
                        .with { $0.customer = self.customer; $0.pageSize = pageSize; $0.pageToken = token },
                        metadata: self.connection.metadata(), options: self.connection.callOptions()
                    )
                    return (page.deliveries, page.nextPageToken)
                }
            }
            if self.connection.json { return try printJSON(deliveries, asList: true) }
            var table = Table("ID", "CUSTOMER", "FILE", "STATUS", "ATTEMPTS", "WHERE / LAST ERROR")
            for delivery in deliveries {
                table.add("\(delivery.id)", delivery.customer, delivery.fileName, delivery.status.label, "\(delivery.attempts)",
                          delivery.status == .delivered ? delivery.path : delivery.lastError)
            }
            print(table.render())
            PageOptions.printMore(token)
        }
    }
}

extension ExportCommand {
    /// Parses --schedule.
    static func schedule(_ text: String) throws -> Conform_Reporting_V1_ExportSchedule {
        switch text.lowercased() {
        case "monthly": return .monthly
        case "on-demand": return .onDemand
        default: throw CLIError("--schedule must be monthly or on-demand")
        }
    }
}

extension Conform_Reporting_V1_ExportSchedule {
    var label: String {
        switch self {
        case .monthly: return "monthly"
        case .onDemand: return "on-demand"
        case .unspecified, .UNRECOGNIZED: return "?"
        }
    }
}

extension Conform_Reporting_V1_DeliveryStatus {
    var label: String {
        switch self {
        case .queued: return "queued"
        case .delivered: return "delivered"
        case .failed: return "failed"
        case .unspecified, .UNRECOGNIZED: return "?"
        }
    }
}
