import ConformDomain
import ConformService
import ConformStorage

/// A customer-scoped principal sees a product only if its customer orders it: a catalogue
/// link between the two. Checked before the product is looked up, so the answer does not
/// tell such a caller which other products exist.
enum ProductScope {
    static func requireAccess(toProduct code: String, call: CallContext, database: Database) async throws {
        guard let customer = call.principal.customerScope else { return }
        let links = try await CatalogStore.links(customer: customer, product: code, in: database, logger: call.logger)
        guard links.isEmpty else { return }
        call.audit.about("product:\(code)")
        call.logger.notice("customer scope denied", metadata: ["product": "\(code)"])
        throw DomainError.permissionDenied(
            "\(call.principal.name) acts for customer \(customer), which does not order product \(code) (no LinkProduct between them)"
        )
    }
}
