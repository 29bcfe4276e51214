import ArgumentParser
import ConformService

extension ServiceDefinition {
    /// The batch service: orders, batches, requirement snapshots and release decisions (its API comes with the batch issue).
    static let batch = ServiceDefinition.withoutAPI(name: "batch", ports: Ports(wire: 7102, grpc: 7202, metrics: 7302))
}

/// The conform-batch executable.
@main
struct BatchServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conform-batch",
        abstract: "The batch service: orders, batches, requirement snapshots and release decisions (its API comes with the batch issue).",
        discussion: ServiceMain.discussion(
            for: .batch,
            api: "API: none yet. Today it serves health, its (empty) event feed and its audit trail only."
        )
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceMain.run(.batch, options: self.options)
    }
}
