import ArgumentParser
import ConformService
import EvidenceService

/// The conform-evidence executable.
@main
struct EvidenceServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conform-evidence",
        abstract: "The evidence service: evidence items and their content, signatories and their qualifications, electronic signatures.",
        discussion: ServiceMain.discussion(
            for: .evidence,
            api: "API: conform.evidence.v1.EvidenceService (upload, download, signatories, signatures)."
        )
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceMain.run(.evidence, options: self.options)
    }
}
