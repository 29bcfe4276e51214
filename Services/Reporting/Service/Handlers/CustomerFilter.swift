import ConformDomain
import ConformService

extension CallContext {
    /// The customer a listing is limited to: the one asked for (nil: every customer), or, for
    /// a customer's principal, its own. Asking for another customer is refused and audited.
    func customerFilter(_ requested: String) throws -> String? {
        let customer = requested.isEmpty ? nil : try FieldRules.code(requested, field: "customer", maxLength: 32)
        if let scope = self.principal.customerScope?.uppercased() {
            try self.requireAccess(toCustomer: customer ?? scope)
            return scope
        }
        return customer
    }
}
