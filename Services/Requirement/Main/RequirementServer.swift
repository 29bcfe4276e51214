import ArgumentParser
import ConformService
import RequirementService

/// The conform-requirement executable.
@main
struct RequirementServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conform-requirement",
        abstract: "The requirement service: every customer's requirements, and the customers and products they apply to.",
        discussion: ServiceMain.discussion(
            for: .requirement,
            api: "API: conform.requirement.v1.RequirementService (customers and products) and RequirementCatalog (requirements, versions, resolution, import, contract review)."
        )
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceMain.run(.requirement, options: self.options)
    }
}
