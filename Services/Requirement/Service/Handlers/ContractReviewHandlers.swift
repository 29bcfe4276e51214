import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import GRPCCore
import SwiftProtobuf

/// Contract review (ISO 9001 8.2.2 / 8.2.3) over the wire.
extension CatalogHandlers {
    func startContractReview(
        request: Conform_Requirement_V1_StartContractReviewRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_ContractReview {
        let call = try CallContext.required()
        let customer = try FieldRules.code(request.customer, field: "customer", maxLength: CustomerRules.maxCodeLength)
        let contract = try FieldRules.text(request.contractReference, field: "contract_reference", maxLength: 200)
        let day = request.date.isEmpty ? Day.today : try Day.parse(request.date, field: "date")
        let links = try await CatalogStore.links(customer: customer, product: nil, in: self.database, logger: call.logger)
            .filter { $0.contractReference == contract }
        guard !links.isEmpty else {
            throw DomainError.failedPrecondition(
                "customer \(customer) orders no product under '\(contract)'; link them first with LinkProduct (contract_reference \"\(contract)\")"
            )
        }
        let requirements = try await RequirementStore.list(customer: customer, in: self.database, logger: call.logger)
        let validations = try await self.validations()
        var resolved: [ResolvedRequirement] = []
        for link in links {
            guard let product = try await ProductStore.find(code: link.product, in: self.database, logger: call.logger) else { continue }
            resolved += RequirementResolution.resolve(requirements, product: product.code, family: product.family, on: day, validations: validations)
        }
        let items = ContractReviewRules.items(from: resolved)
        return try await self.writes.write(request) { transaction in
            let id = try await ContractReviewStore.create(
                customer: customer, contract: contract, day: day, items: items,
                by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger
            )
            let message = try await Self.reviewMessage(id, on: transaction)
            try await transaction.recordCreation(of: message, object: "contract-review:\(id)", event: "contract-review.started")
            return message
        }
    }

    func decideReviewItem(
        request: Conform_Requirement_V1_DecideReviewItemRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_ContractReview {
        let decision = try ReviewDecision(request.decision)
        let note = try FieldRules.optionalText(request.note, field: "note", maxLength: 2_000)
        try ContractReviewRules.checkDecision(decision, note: note)
        return try await self.changeOpenReview(request.reviewID, request: request) { review, transaction in
            guard review.items.contains(where: { $0.position == Int(request.position) }) else {
                throw DomainError.notFound("contract review \(review.id) has no item \(request.position); it has items 1 to \(review.items.count)")
            }
            try await ContractReviewStore.decide(
                review: review.id, position: Int(request.position), decision: decision, note: note, on: transaction.connection, logger: transaction.logger
            )
        }
    }

    func addStatedRequirement(
        request: Conform_Requirement_V1_AddStatedRequirementRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_ContractReview {
        let statement = try FieldRules.text(request.statement, field: "statement", maxLength: 2_000)
        let decision = try ReviewDecision(request.decision)
        let note = try FieldRules.optionalText(request.note, field: "note", maxLength: 2_000)
        try ContractReviewRules.checkDecision(decision, note: note)
        return try await self.changeOpenReview(request.reviewID, request: request) { review, transaction in
            let item = ContractReviewItem(
                position: review.items.count + 1, requirementID: "", version: "", strength: .mandatory,
                statement: statement, decision: decision, note: note
            )
            try await ContractReviewStore.insert(item, review: review.id, on: transaction.connection, logger: transaction.logger)
        }
    }

    func acceptContractReview(
        request: Conform_Requirement_V1_ContractReviewRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_ContractReview {
        try await self.changeOpenReview(request.reviewID, request: request) { review, transaction in
            try ContractReviewRules.checkAcceptable(review.items)
            try await ContractReviewStore.accept(review: review.id, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
        }
    }

    func getContractReview(
        request: Conform_Requirement_V1_ContractReviewRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_ContractReview {
        let call = try CallContext.required()
        guard let review = try await ContractReviewStore.find(Int64(clamping: request.reviewID), in: self.database, logger: call.logger) else {
            throw DomainError.notFound("no contract review \(request.reviewID)")
        }
        return review.message
    }

    func closeContract(
        request: Conform_Requirement_V1_ContractReviewRequest,
        context: ServerContext
    ) async throws -> Conform_Requirement_V1_ContractReview {
        try await self.writes.write(request) { transaction in
            guard let review = try await ContractReviewStore.find(
                Int64(clamping: request.reviewID), forUpdate: true, on: transaction.connection, logger: transaction.logger
            ) else {
                throw DomainError.notFound("no contract review \(request.reviewID)")
            }
            try await ContractReviewStore.close(review: review.id, on: transaction.connection, logger: transaction.logger)
            let after = try await Self.reviewMessage(review.id, on: transaction)
            try await transaction.recordChange(object: "contract-review:\(review.id)", before: review.message, after: after)
            return after
        }
    }

    /// Runs `change` on an open review in a write, auditing the state before and after.
    private func changeOpenReview(
        _ id: UInt64,
        request: some SwiftProtobuf.Message,
        _ change: @escaping @Sendable (ContractReviewStore.Review, WriteTransaction) async throws -> Void
    ) async throws -> Conform_Requirement_V1_ContractReview {
        try await self.writes.write(request) { transaction in
            guard let review = try await ContractReviewStore.find(
                Int64(clamping: id), forUpdate: true, on: transaction.connection, logger: transaction.logger
            ) else {
                throw DomainError.notFound("no contract review \(id)")
            }
            guard review.status == "open" else {
                throw DomainError.failedPrecondition("contract review \(id) is \(review.status) and can no longer change; start a new review")
            }
            try await change(review, transaction)
            let after = try await Self.reviewMessage(review.id, on: transaction)
            try await transaction.recordChange(object: "contract-review:\(id)", before: review.message, after: after)
            return after
        }
    }

    private static func reviewMessage(_ id: Int64, on transaction: WriteTransaction) async throws -> Conform_Requirement_V1_ContractReview {
        guard let review = try await ContractReviewStore.find(id, forUpdate: false, on: transaction.connection, logger: transaction.logger) else {
            throw DatabaseError(.failed, "contract review \(id) vanished inside its own transaction")
        }
        return review.message
    }
}

extension ReviewDecision {
    init(_ message: Conform_Requirement_V1_ReviewDecision) throws {
        switch message {
        case .pending: self = .pending
        case .canMeet: self = .canMeet
        case .cannotMeet: self = .cannotMeet
        case .deviationAgreed: self = .deviationAgreed
        case .unspecified, .UNRECOGNIZED:
            throw DomainError.invalid(field: "decision", reason: "is required: can-meet, cannot-meet or deviation-agreed")
        }
    }

    var message: Conform_Requirement_V1_ReviewDecision {
        switch self {
        case .pending: return .pending
        case .canMeet: return .canMeet
        case .cannotMeet: return .cannotMeet
        case .deviationAgreed: return .deviationAgreed
        }
    }
}

extension ContractReviewStore.Review {
    var message: Conform_Requirement_V1_ContractReview {
        .with {
            $0.id = UInt64(self.id)
            $0.customer = self.customer
            $0.contractReference = self.contractReference
            $0.reviewDate = self.reviewDate.description
            $0.status = self.status == "accepted" ? .accepted : .open
            $0.items = self.items.map { item in
                .with {
                    $0.position = UInt32(item.position)
                    $0.requirementID = item.requirementID
                    $0.version = item.version
                    $0.strength = item.strength.message
                    $0.statement = item.statement
                    $0.decision = item.decision.message
                    $0.note = item.note
                }
            }
            $0.acceptedBy = self.acceptedBy
            $0.acceptedAtMicros = self.acceptedAtMicros
            $0.contractOpen = self.contractOpen
            $0.needsRereview = self.needsRereview
            $0.createdBy = self.createdBy
        }
    }
}
