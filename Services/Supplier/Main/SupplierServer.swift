import ArgumentParser
import ConformService

extension ServiceDefinition {
    /// The supplier (ASL) service: approved suppliers, audits, receipts and exceptions (its API comes with the supplier issue).
    static let supplier = ServiceDefinition.withoutAPI(name: "supplier", ports: Ports(wire: 7104, grpc: 7204, metrics: 7304))
}

/// The conform-supplier executable.
@main
struct SupplierServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conform-supplier",
        abstract: "The supplier (ASL) service: approved suppliers, audits, receipts and exceptions (its API comes with the supplier issue).",
        discussion: ServiceMain.discussion(
            for: .supplier,
            api: "API: none yet. Today it serves health, its (empty) event feed and its audit trail only."
        )
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceMain.run(.supplier, options: self.options)
    }
}
