import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import Foundation
import GRPCCore

/// The wire side of compliance and release: the batch service asks the evidence service what
/// the batch has, decides each requirement, and releases only when every mandatory one is met.
extension BatchHandlers {
    func compliance(request: Conform_Batch_V1_BatchRequest, context: ServerContext) async throws -> Conform_Batch_V1_ComplianceReport {
        let stored = try await self.batch(request.number)
        let evaluation = try await self.evaluate(stored)
        return self.report(stored, evaluation)
    }

    func waiveRequirement(request: Conform_Batch_V1_WaiveRequest, context: ServerContext) async throws -> Conform_Batch_V1_ComplianceReport {
        let number = try Self.number(request.number)
        let customer = try FieldRules.code(request.customer, field: "customer", maxLength: 32)
        let id = try FieldRules.code(request.requirementID, field: "requirement_id", maxLength: 64)
        let reason = try FieldRules.text(request.reason, field: "reason", maxLength: 2_000)
        let approval = try FieldRules.text(request.customerApprovalReference, field: "customer_approval_reference", maxLength: 200)
        _ = try await self.change(number, request: request, event: "batch.requirement-waived") { stored, transaction in
            try BatchRules.checkOpen(stored.batch)
            guard stored.batch.requirements.contains(where: { $0.customer == customer && $0.id == id }) else {
                throw DomainError.notFound("batch \(number) does not carry \(customer)/\(id); Compliance lists what it carries")
            }
            let waiver = Waiver(customer: customer, requirementID: id, reason: reason, approvalReference: approval, waivedBy: transaction.call.principal.name)
            try await WaiverStore.insert(waiver, batch: number, on: transaction.connection, logger: transaction.logger)
        }
        let stored = try await self.batch(number)
        let evaluation = try await self.evaluate(stored)
        return self.report(stored, evaluation)
    }

    func reject(request: Conform_Batch_V1_RejectRequest, context: ServerContext) async throws -> Conform_Batch_V1_Batch {
        let number = try Self.number(request.number)
        let reason = try FieldRules.text(request.reason, field: "reason", maxLength: 2_000)
        return try await self.change(number, request: request, event: "batch.rejected") { stored, transaction in
            try BatchRules.checkOpen(stored.batch)
            try await BatchStore.complete(number, as: .rejected, by: transaction.call.principal.name, reason: reason, signature: nil, on: transaction.connection, logger: transaction.logger)
        }
    }

    /// What a batch's requirements come to, and what that rested on.
    struct Evaluation: Sendable {
        var results: [RequirementCompliance]
        var lots: [LotFact]
        /// The evidence and signatures seen (`ReleaseBasis`).
        var basis: String
        /// A completed record's amendments, each with its approving signature or awaiting one.
        var amendments: [Conform_Batch_V1_AmendmentApproval]
    }

    /// Every requirement of the batch decided against what the evidence service holds for it.
    func evaluate(_ stored: StoredBatch) async throws -> Evaluation {
        let call = try CallContext.required()
        let digest = BatchRules.recordDigest(stored.batch)
        let evidence = try await self.peers.call(.evidence) { client, metadata, options in
            try await Conform_Evidence_V1_EvidenceService.Client(wrapping: client).batchEvidence(
                .with { $0.batch = stored.batch.number; $0.recordDigest = digest; $0.earlierDigests = stored.earlierDigests },
                metadata: metadata, options: options
            )
        }
        let validity = Dictionary(evidence.checks.map { ($0.signatureID, $0.valid) }, uniquingKeysWith: { first, _ in first })
        let waivers = try await WaiverStore.list(batch: stored.batch.number, in: self.database, logger: call.logger)
        let lots = try await self.lotStatuses(stored.batch.lots)
        let results = Compliance.evaluate(
            stored.batch,
            items: evidence.items.compactMap(EvidenceFact.init),
            signatures: evidence.signatures.compactMap { SignatureFact($0, valid: validity[$0.id] ?? false) },
            lots: lots,
            waivers: waivers,
            today: Day.today
        )
        let basis = ReleaseBasis.fingerprint(items: evidence.items.map { Int64($0.id) }, signatures: evidence.signatures.map { Int64($0.id) })
        // An amendment is approved by a valid `amended` signature of the record after it, or of
        // the record after a later amendment: that approves the record as amended, this one too.
        let approvals = evidence.signatures.filter { $0.meaning == .amended && $0.target == "batch:\(stored.batch.number)" && validity[$0.id] == true }
        let amendments = stored.amendments.enumerated().map { index, amendment in
            let approvingDigests = Set(stored.amendments[index...].map(\.digestAfter).filter { !$0.isEmpty })
            let approval = approvals.first { approvingDigests.contains($0.digest) && $0.signedAtMicros >= amendment.amendedAtMicros }
            return Conform_Batch_V1_AmendmentApproval.with {
                $0.number = UInt64(amendment.number)
                $0.reason = amendment.reason
                $0.amendedBy = amendment.amendedBy
                $0.signatureID = approval?.id ?? 0
                $0.signedBy = approval?.printedName ?? ""
            }
        }
        return Evaluation(results: results, lots: lots, basis: basis, amendments: amendments)
    }

    func report(_ stored: StoredBatch, _ evaluation: Evaluation) -> Conform_Batch_V1_ComplianceReport {
        .with {
            $0.batch = stored.batch.number
            $0.customer = stored.batch.customer
            $0.status = stored.batch.status.message
            $0.requirements = evaluation.results.map(\.message)
            $0.blockedLots = Compliance.blockedLots(evaluation.lots)
            $0.releasable = Compliance.blocking(evaluation.results).isEmpty && $0.blockedLots.isEmpty
            $0.evaluatedOn = Day.today.description
            $0.amendments = evaluation.amendments
        }
    }
}
