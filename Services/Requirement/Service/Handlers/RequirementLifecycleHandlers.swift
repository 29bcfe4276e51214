import ConformDomain
import ConformProtos
import ConformService
import GRPCCore

/// The wire side of a requirement's life after its creation: new versions coming into force
/// and the customer withdrawing it.
extension CatalogHandlers {
    func publishVersion(
        request: Conform_Requirement_V1_PublishVersionRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_Requirement {
        let customer = try Codes.customer(request.customer)
        let id = try Codes.requirement(request.requirementID)
        let number = try VersionNumber.parse(request.number, field: "number")
        let validations = try await self.validations()
        return try await self.writes.write(request) { transaction in
            var requirement = try await Self.requirementForUpdate(customer: customer, id: id, in: transaction)
            let before = requirement.message(on: Day.today, validations: validations)
            var version = try RequirementRules.draftToPublish(number, of: requirement)
            try await RequirementStore.publish(customer: customer, id: id, number: number, on: transaction.connection, logger: transaction.logger)
            version.isDraft = false
            requirement.versions = requirement.versions.map { $0.number == number ? version : $0 }
            try await Self.flagReviews(of: requirement, for: version, because: "\(id) version \(number) was published, effective \(version.effectiveFrom)", in: transaction)
            let after = requirement.message(on: Day.today, validations: validations)
            try await transaction.recordChange(object: "requirement:\(customer)/\(id)", before: before, after: after)
            try await transaction.publish(type: "requirement.version-published", subject: "requirement:\(customer)/\(id)", payload: version.message(status: nil))
            return after
        }
    }

    func retireRequirement(
        request: Conform_Requirement_V1_RetireRequirementRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_Requirement {
        let customer = try Codes.customer(request.customer)
        let id = try Codes.requirement(request.requirementID)
        let day = try Day.parse(request.retiredOn, field: "retired_on")
        let validations = try await self.validations()
        return try await self.writes.write(request) { transaction in
            var requirement = try await Self.requirementForUpdate(customer: customer, id: id, in: transaction)
            let before = requirement.message(on: Day.today, validations: validations)
            let retirement = try RequirementRules.retirement(of: requirement, on: day, reason: request.reason)
            try await RequirementStore.retire(
                customer: customer, id: id, retirement, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger
            )
            requirement.retirement = retirement
            let after = requirement.message(on: Day.today, validations: validations)
            try await transaction.recordChange(object: "requirement:\(customer)/\(id)", before: before, after: after)
            try await transaction.publish(type: "requirement.retired", subject: "requirement:\(customer)/\(id)", payload: after)
            return after
        }
    }

    /// Stores a new version of `requirement` and announces it: accepted reviews of contracts
    /// still being delivered no longer cover the requirement, so they are flagged.
    static func storeNewVersion(_ version: RequirementVersion, of requirement: Requirement, in transaction: WriteTransaction) async throws {
        try await RequirementStore.insert(version, of: requirement, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
        if !version.isDraft {
            try await Self.flagReviews(
                of: requirement, for: version,
                because: "\(requirement.id) has a new version \(version.number), effective \(version.effectiveFrom)",
                in: transaction
            )
        }
        try await transaction.publish(
            type: "requirement.version-added", subject: "requirement:\(requirement.customer)/\(requirement.id)", payload: version.message(status: nil)
        )
    }

    private static func flagReviews(
        of requirement: Requirement, for version: RequirementVersion, because reason: String, in transaction: WriteTransaction
    ) async throws {
        let flagged = try await ContractReviewStore.flagForRereview(
            customer: requirement.customer, requirement: requirement.id, reason: reason,
            on: transaction.connection, logger: transaction.logger
        )
        for review in flagged {
            try await transaction.publish(type: "contract-review.rereview-needed", subject: "contract-review:\(review)", payload: version.message(status: nil))
        }
    }

    static func requirementForUpdate(customer: String, id: String, in transaction: WriteTransaction) async throws -> Requirement {
        guard let requirement = try await RequirementStore.findForUpdate(
            customer: customer, id: id, on: transaction.connection, logger: transaction.logger
        ) else {
            throw DomainError.notFound("customer \(customer) has no requirement \(id); ListRequirements shows its requirements")
        }
        return requirement
    }
}
