import ArgumentParser
import BatchService
import ConformService

/// The conform-batch executable.
@main
struct BatchServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conform-batch",
        abstract: "The batch service: orders, batches with their requirement snapshots, records, compliance and release.",
        discussion: ServiceMain.discussion(
            for: .batch,
            api: "API: conform.batch.v1.BatchService. Units' QR links start with CONFORM_TRACE_BASE_URL (default \(BatchServiceDefaults.traceBaseURL))."
        )
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceMain.run(.batch, options: self.options)
    }
}
