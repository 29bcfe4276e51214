import ArgumentParser
import ConformService

extension ServiceDefinition {
    /// The evidence service: evidence files, tags, e-signatures and qualifications (its API comes with the evidence issue).
    static let evidence = ServiceDefinition.withoutAPI(name: "evidence", ports: Ports(wire: 7103, grpc: 7203, metrics: 7303))
}

/// The conform-evidence executable.
@main
struct EvidenceServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conform-evidence",
        abstract: "The evidence service: evidence files, tags, e-signatures and qualifications (its API comes with the evidence issue).",
        discussion: ServiceMain.discussion(
            for: .evidence,
            api: "API: none yet. Today it serves health, its (empty) event feed and its audit trail only."
        )
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceMain.run(.evidence, options: self.options)
    }
}
