import ConformDomain
import ConformProtos
import ConformService
import GRPCCore

/// The wire side of a completed record's life: amendments, legal hold, archival, deletion.
extension BatchHandlers {
    func amend(request: Conform_Batch_V1_AmendRequest, context: ServerContext) async throws -> Conform_Batch_V1_Batch {
        let number = try Self.number(request.number)
        let reason = try FieldRules.text(request.reason, field: "reason", maxLength: 2_000)
        return try await self.change(number, request: request, event: "batch.amended") { stored, transaction in
            guard stored.batch.isComplete else {
                throw DomainError.failedPrecondition("batch \(number) is open: change its record directly (RecordFields); amendments correct completed records")
            }
            let values = try BatchRules.fieldValues(request.values, for: stored.batch).filter { stored.batch.fields[$0.key] != $0.value }
            guard !values.isEmpty else {
                throw DomainError.invalid(field: "values", reason: "change nothing: every field named already has that value on batch \(number)'s record")
            }
            let changes = values.sorted { $0.key < $1.key }.map { name, value in
                "\(name): \(stored.batch.fields[name] ?? "(none)") -> \(value)"
            }
            var amended = stored.batch
            amended.fields.merge(values) { _, new in new }
            let digests = (before: BatchRules.recordDigest(stored.batch), after: BatchRules.recordDigest(amended))
            try await BatchStore.addAmendment(
                to: number, number: stored.amendments.count + 1, reason: reason, changes: changes, digests: digests,
                by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger
            )
            try await BatchStore.setFields(values, of: number, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger)
        }
    }

    func setLegalHold(request: Conform_Batch_V1_LegalHoldRequest, context: ServerContext) async throws -> Conform_Batch_V1_Batch {
        let number = try Self.number(request.number)
        let reason = try FieldRules.text(request.reason, field: "reason", maxLength: 2_000)
        return try await self.change(number, request: request, event: request.hold ? "batch.legal-hold-set" : "batch.legal-hold-lifted", fencedByRelease: false) { stored, transaction in
            if request.hold, stored.batch.legalHold != nil {
                throw DomainError.failedPrecondition("batch \(number) is under legal hold already")
            }
            if !request.hold, stored.batch.legalHold == nil {
                throw DomainError.failedPrecondition("batch \(number) is not under legal hold")
            }
            try await BatchStore.setLegalHold(request.hold ? reason : nil, of: number, on: transaction.connection, logger: transaction.logger)
        }
    }

    func archive(request: Conform_Batch_V1_BatchRequest, context: ServerContext) async throws -> Conform_Batch_V1_Batch {
        let number = try Self.number(request.number)
        return try await self.change(number, request: request, event: "batch.archived") { stored, transaction in
            try BatchRules.checkNotHeld(stored.batch, action: "archived")
            guard stored.batch.isComplete else {
                throw DomainError.failedPrecondition("batch \(number) is open; only a released or rejected batch is archived")
            }
            guard !stored.batch.archived else { throw DomainError.failedPrecondition("batch \(number) is archived already") }
            try await BatchStore.archive(number, on: transaction.connection, logger: transaction.logger)
        }
    }

    func deleteBatch(request: Conform_Batch_V1_BatchRequest, context: ServerContext) async throws -> Conform_Batch_V1_DeleteBatchResponse {
        let stored = try await self.batch(request.number)
        let number = stored.batch.number
        try BatchRules.checkNotHeld(stored.batch, action: "deleted")
        guard !stored.batch.isComplete else {
            throw DomainError.failedPrecondition("batch \(number) is \(stored.batch.status.rawValue); a completed record is kept, never deleted")
        }
        // One item is enough to keep the batch.
        let items = try await self.peers.call(.evidence) { client, metadata, options in
            try await Conform_Evidence_V1_EvidenceService.Client(wrapping: client).listItems(
                .with { $0.batch = number; $0.includeSuperseded = true; $0.pageSize = 1 }, metadata: metadata, options: options
            ).items
        }
        guard items.isEmpty else {
            throw DomainError.failedPrecondition("batch \(number) has evidence; a batch with evidence is kept (reject it instead)")
        }
        return try await self.writes.write(request) { transaction in
            guard let current = try await BatchStore.findForUpdate(number, on: transaction.connection, logger: transaction.logger) else {
                throw DomainError.notFound("no batch \(number)")
            }
            try BatchRules.checkNotHeld(current.batch, action: "deleted")
            try BatchRules.checkOpen(current.batch)
            // A release, even an abandoned one, is part of the batch's record.
            if let release = try await ReleaseStore.any(batch: number, on: transaction.connection, logger: transaction.logger) {
                throw DomainError.failedPrecondition("batch \(number) has a release on record (release \(release)); a batch someone tried to release is kept (reject it instead)")
            }
            try await BatchStore.delete(number, on: transaction.connection, logger: transaction.logger)
            try await transaction.recordChange(object: "batch:\(number)", before: current.message, after: nil)
            try await transaction.publish(type: "batch.deleted", subject: "batch:\(number)", payload: Conform_Batch_V1_DeleteBatchResponse.with { $0.number = number })
            return .with { $0.number = number }
        }
    }
}
