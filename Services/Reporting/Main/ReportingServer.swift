import ArgumentParser
import ConformService

extension ServiceDefinition {
    /// The reporting service: dashboards, alerts, audit reports and customer exports (its API comes with the reporting issue).
    static let reporting = ServiceDefinition.withoutAPI(name: "reporting", ports: Ports(wire: 7105, grpc: 7205, metrics: 7305))
}

/// The conform-reporting executable.
@main
struct ReportingServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conform-reporting",
        abstract: "The reporting service: dashboards, alerts, audit reports and customer exports (its API comes with the reporting issue).",
        discussion: ServiceMain.discussion(
            for: .reporting,
            api: "API: none yet. Today it serves health, its (empty) event feed and its audit trail only."
        )
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceMain.run(.reporting, options: self.options)
    }
}
