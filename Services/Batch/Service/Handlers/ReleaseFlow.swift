import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import Foundation
import GRPCCore

/// Release, across two services: decided and recorded here (requested), signed by the
/// evidence service, which seals the batch's evidence in the same transaction after checking
/// it is what the decision saw (signed), then completed here (released). Each step is its own
/// transaction, so no lock is held while the evidence service is asked; the release record
/// says where a release stands, and a release cut short is taken on from there by the same
/// request again or by the reconciler.
extension BatchHandlers {
    /// The role the evidence service requires of the release's signer.
    static let releaseRole = "quality-manager"

    func release(request: Conform_Batch_V1_ReleaseRequest, context: ServerContext) async throws -> Conform_Batch_V1_ReleaseDecision {
        let call = try CallContext.required()
        // Ahead of every check: the answer already given under this idempotency key, or the
        // release this very signed request started.
        if let answer = try await self.writes.replay(request, as: Conform_Batch_V1_ReleaseDecision.self) { return answer }
        let number = try Self.number(request.number)
        if let started = try await ReleaseStore.find(
            batch: number, manifest: request.manifest, signature: request.signature, in: self.database, logger: call.logger
        ) {
            guard started.requestedBy == call.principal.name else {
                throw DomainError.notEligible("release \(started.id) of batch \(number) was requested by \(started.requestedBy), not you; release with your own signature")
            }
            return try await self.drive(started, request: request)
        }
        let manifest = try SignatureManifest.parse(request.manifest)
        let stored = try await self.batch(number)
        if stored.batch.isComplete || stored.releaseInFlight != nil,
           let started = try await ReleaseStore.find(batch: number, manifest: request.manifest, signature: request.signature, in: self.database, logger: call.logger) {
            // This very request's release, started by a twin since the look above.
            return try await self.drive(started, request: request)
        }
        try BatchRules.checkOpen(stored.batch)
        try BatchRules.checkNoRelease(inFlight: stored.releaseInFlight, batch: number)
        let evaluation = try await self.evaluate(stored)
        let report = self.report(stored, evaluation)
        let blocking = Compliance.blocking(evaluation.results)
        let blockedLots = Compliance.blockedLots(evaluation.lots)
        guard blocking.isEmpty, blockedLots.isEmpty else {
            // The refusal is a fact worth keeping: it is audited and announced. The call's own
            // entry, written as it fails, says refused.
            try await self.writes.write(carryingCallEntry: false) { transaction in
                try await transaction.recordChange(object: "batch:\(number)", before: nil, after: report)
                try await transaction.publish(type: "batch.release-refused", subject: "batch:\(number)", payload: report)
            }
            throw ReleaseRefusal.error(batch: number, blocking: blocking, blockedLots: evaluation.lots.filter(\.isBlocked), report: report)
        }
        let digest = BatchRules.recordDigest(stored.batch)
        try ReleaseRules.checkManifest(manifest, batch: number, digest: digest, caller: call.principal.name)
        let warnings = Compliance.warnings(evaluation.results)
        let release = try await self.writes.write(carryingCallEntry: false) { transaction in
            guard let current = try await BatchStore.findForUpdate(number, on: transaction.connection, logger: transaction.logger) else {
                throw DomainError.notFound("batch \(number) was deleted")
            }
            try BatchRules.checkOpen(current.batch)
            if let inFlight = current.releaseInFlight {
                // The same request sent twice at once: the second drives the first's release.
                // Read, not locked: a release's bytes never change, and locking it here, after
                // the batch, is the order that cannot deadlock with `complete`.
                if let same = try await ReleaseStore.find(id: inFlight, on: transaction.connection, logger: transaction.logger),
                   same.manifest == request.manifest, same.signature == request.signature {
                    return same
                }
                try BatchRules.checkNoRelease(inFlight: inFlight, batch: number)
            }
            guard BatchRules.recordDigest(current.batch) == digest else {
                throw RPCError(code: .aborted, message: "batch \(number) changed while it was being released; check it and release again")
            }
            let release = try await ReleaseStore.insert(
                batch: number, manifest: request.manifest, signature: request.signature, recordDigest: digest, basis: evaluation.basis,
                warnings: warnings, by: transaction.call.principal.name, on: transaction.connection, logger: transaction.logger
            )
            try await transaction.recordChange(object: "release:\(release.id)", before: nil, after: release.message, event: "batch.release-requested")
            return release
        }
        return try await self.drive(release, request: request, report: report)
    }

    /// Takes `release` from where it stands to its end, and answers as its release call does.
    /// `request` is the caller's (its idempotency key stores the answer); the reconciler has
    /// none, and needs no compliance report: completing a signed release asks no other service.
    func drive(
        _ release: PendingRelease, request: Conform_Batch_V1_ReleaseRequest? = nil, report: Conform_Batch_V1_ComplianceReport? = nil
    ) async throws -> Conform_Batch_V1_ReleaseDecision {
        var release = release
        // The signature the evidence service just took, recorded with the last step: the
        // state worth keeping apart is `requested`, the one that spans the other service.
        var signature: Int64?
        if release.state == .requested {
            switch try await self.sign(release) {
            case .signed(let id): signature = id
            case .settled(let settled): release = settled
            }
        }
        switch release.state {
        case .requested, .signed:
            break
        case .released:
            let report = try await self.reportForAnswer(report, batch: release.batch, needed: request != nil)
            return Self.decision(release, batch: try await self.batch(release.batch).message, report: report)
        case .abandoned:
            throw DomainError.failedPrecondition(ReleaseRules.abandonedMessage(release))
        }
        let report = try await self.reportForAnswer(report, batch: release.batch, needed: request != nil)
        let taken = release
        let signatureID = signature
        let finish: @Sendable (WriteTransaction) async throws -> Conform_Batch_V1_ReleaseDecision = { transaction in
            try await self.complete(taken, signature: signatureID, report: report, in: transaction)
        }
        if let request { return try await self.writes.write(request, finish) }
        return try await self.writes.write(finish)
    }

    /// What asking the evidence service came to.
    private enum Signing {
        /// It holds the signature (the same request again returns the same one) and sealed the batch.
        case signed(Int64)
        /// It refused for good, and the release is as this says (abandoned, or taken further
        /// by another driver meanwhile).
        case settled(PendingRelease)
    }

    /// Has the evidence service take the signature; a refusal that no retry can change
    /// abandons the release.
    private func sign(_ release: PendingRelease) async throws -> Signing {
        let signature: Conform_Evidence_V1_Signature
        do {
            signature = try await self.peers.call(.evidence) { client, metadata, options in
                try await Conform_Evidence_V1_EvidenceService.Client(wrapping: client).sign(
                    .with {
                        $0.manifest = release.manifest
                        $0.signature = release.signature
                        $0.requiredRole = Self.releaseRole
                        $0.releaseBasis = release.basis
                    },
                    metadata: metadata, options: options
                )
            }
        } catch let error as RPCError where ReleaseRules.refusesForGood(error.code) {
            let settled = try await self.abandon(release, problem: error.message)
            // Another driver may have got further first: then this release goes on.
            guard settled.state == .abandoned else { return .settled(settled) }
            // A signing rule's refusal stays one on this call's own entry.
            if error.code == .permissionDenied { throw DomainError.notEligible(ReleaseRules.abandonedMessage(settled)) }
            throw RPCError(code: error.code, message: ReleaseRules.abandonedMessage(settled))
        } catch let error as RPCError {
            throw RPCError(
                code: .unavailable,
                message: "release \(release.id) of batch \(release.batch) is recorded but not signed yet (\(error.message)); "
                    + "send the same request again, or it is finished on its own within a minute"
            )
        }
        return .signed(Int64(signature.id))
    }

    /// The last step, in one transaction: the signature the evidence service took (`signature`,
    /// when this driver asked for it) recorded, and the batch released with it.
    private func complete(
        _ release: PendingRelease, signature: Int64?, report: Conform_Batch_V1_ComplianceReport?, in transaction: WriteTransaction
    ) async throws -> Conform_Batch_V1_ReleaseDecision {
        let (connection, logger) = (transaction.connection, transaction.logger)
        // The batch first, then the release: the order every release transaction locks in.
        guard let before = try await BatchStore.findForUpdate(release.batch, on: connection, logger: logger),
              var locked = try await ReleaseStore.lock(release.id, on: connection, logger: logger)
        else {
            throw DatabaseError(.failed, "release \(release.id) or its batch vanished")
        }
        // Not signed yet on record (another driver may have got here first): this signature
        // signs it. One abandoned on a refusal this signature proves wrong goes on, since the
        // evidence service holds the signature and sealed the batch, but only while the batch
        // is open and no other release of it is in flight; otherwise it needs a person.
        if let signature, locked.state == .abandoned, before.batch.isComplete || before.releaseInFlight != nil {
            logger.error(
                "a release abandoned meanwhile turned out signed and sealed, but its batch has moved on; resolve it by hand",
                metadata: ["release": "\(release.id)", "batch": "\(release.batch)", "signature": "\(signature)"]
            )
            throw DomainError.failedPrecondition(
                "release \(release.id) of batch \(release.batch) was abandoned, yet the evidence service sealed the batch with its signature \(signature), and the batch has since been \(before.batch.isComplete ? before.batch.status.rawValue : "given another release"); a quality manager must resolve it"
            )
        }
        if let signature, locked.state == .requested || locked.state == .abandoned {
            let signed = try await ReleaseStore.advance(release.id, to: .signed, signature: signature, on: connection, logger: logger)
            try await transaction.recordChange(object: "release:\(release.id)", before: locked.message, after: signed.message, event: "batch.release-signed")
            locked = signed
        }
        switch locked.state {
        case .released:
            return Self.decision(locked, batch: before.message, report: report)
        case .requested, .abandoned:
            throw DomainError.failedPrecondition(ReleaseRules.abandonedMessage(locked))
        case .signed:
            break
        }
        // The batch changed no more while the release was in flight (`checkNoRelease`).
        try BatchRules.checkOpen(before.batch)
        guard BatchRules.recordDigest(before.batch) == locked.recordDigest else {
            throw DatabaseError(.failed, "batch \(release.batch) changed while release \(release.id) was in flight")
        }
        try await BatchStore.complete(
            release.batch, as: .released, by: locked.requestedBy, reason: locked.warnings.joined(separator: "\n"),
            signature: locked.signatureID, on: connection, logger: logger
        )
        let released = try await ReleaseStore.advance(release.id, to: .released, on: connection, logger: logger)
        guard let after = try await BatchStore.findForUpdate(release.batch, on: connection, logger: logger) else {
            throw DatabaseError(.failed, "batch \(release.batch) vanished")
        }
        let message = after.message
        try await transaction.recordChange(object: "batch:\(release.batch)", before: before.message, after: message, event: "batch.released")
        try await transaction.recordChange(object: "release:\(release.id)", before: locked.message, after: released.message)
        return Self.decision(released, batch: message, report: report)
    }

    /// Marks a release that can never be signed abandoned; the batch is open again.
    private func abandon(_ release: PendingRelease, problem: String) async throws -> PendingRelease {
        try await self.writes.write(carryingCallEntry: false) { transaction in
            guard let locked = try await ReleaseStore.lock(release.id, on: transaction.connection, logger: transaction.logger) else {
                throw DatabaseError(.failed, "release \(release.id) vanished")
            }
            guard locked.state == .requested else { return locked }
            let abandoned = try await ReleaseStore.advance(
                release.id, to: .abandoned, problem: problem, on: transaction.connection, logger: transaction.logger
            )
            try await transaction.recordChange(
                object: "release:\(release.id)", before: locked.message, after: abandoned.message, event: "batch.release-abandoned"
            )
            return abandoned
        }
    }

    /// The compliance report for the caller's answer: the one the decision used, or read
    /// again; none for the reconciler, which answers no one.
    private func reportForAnswer(
        _ report: Conform_Batch_V1_ComplianceReport?, batch: String, needed: Bool
    ) async throws -> Conform_Batch_V1_ComplianceReport? {
        if let report { return report }
        guard needed else { return nil }
        let stored = try await self.batch(batch)
        let evaluation = try await self.evaluate(stored)
        return self.report(stored, evaluation)
    }

    private static func decision(
        _ release: PendingRelease, batch: Conform_Batch_V1_Batch, report: Conform_Batch_V1_ComplianceReport?
    ) -> Conform_Batch_V1_ReleaseDecision {
        .with {
            $0.released = release.state == .released
            $0.batch = batch
            if let report { $0.compliance = report }
            $0.warnings = release.warnings
        }
    }
}
