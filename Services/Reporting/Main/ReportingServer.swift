import ArgumentParser
import ConformService
import ReportingService

/// The conform-reporting executable.
@main
struct ReportingServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conform-reporting",
        abstract: "The reporting service: a read model fed from the other services' event feeds.",
        discussion: ServiceMain.discussion(
            for: .reporting,
            api: "API: conform.reporting.v1.ReportingService (feed status). It reads the requirement, batch, evidence and supplier services' feeds into its own schema as they publish."
        )
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceMain.run(.reporting, options: self.options)
    }
}
