import ConformDomain

extension CallContext {
    /// Refuses an attempt by a customer-scoped principal on another customer's data; the
    /// call's audit entry records the refusal and names the customer.
    public func requireAccess(toCustomer code: String) throws {
        guard !self.principal.mayAccess(customer: code) else { return }
        self.audit.about("customer:\(code)")
        self.logger.notice("customer scope denied", metadata: ["customer": "\(code)"])
        throw DomainError.permissionDenied(
            "\(self.principal.name) acts for customer \(self.principal.customerScope ?? "") and may not see customer \(code)"
        )
    }
}
