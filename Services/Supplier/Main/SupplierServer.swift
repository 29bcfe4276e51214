import ArgumentParser
import ConformService
import SupplierService

/// The conform-supplier executable.
@main
struct SupplierServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conform-supplier",
        abstract: "The supplier service: the Approved Supplier List, supplier audits, the receiving gate and exceptions.",
        discussion: ServiceMain.discussion(
            for: .supplier,
            api: "API: conform.supplier.v1.SupplierService (suppliers, ASL, audits, receipts, exceptions, what comes due)."
        )
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceMain.run(.supplier, options: self.options)
    }
}
