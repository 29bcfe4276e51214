import ConformDomain
public import ConformStorage

extension CallContext {
    /// Refuses, and records in the audit trail, an attempt by a customer-scoped principal
    /// on another customer's data.
    public func requireAccess(toCustomer code: String, database: Database) async throws {
        guard !self.principal.mayAccess(customer: code) else { return }
        let reason = "\(self.principal.name) acts for customer \(self.principal.customerScope ?? "") and may not see customer \(code)"
        let record = AuditRecord(
            principal: self.principal.name,
            action: self.method,
            outcome: .denied,
            object: "customer:\(code)",
            detail: JSONText.object(["reason": reason]),
            requestID: self.requestID
        )
        try await AuditTrailStore.append(record, to: database, logger: self.logger)
        self.logger.notice("customer scope denied", metadata: ["customer": "\(code)"])
        throw DomainError.permissionDenied(reason)
    }
}
