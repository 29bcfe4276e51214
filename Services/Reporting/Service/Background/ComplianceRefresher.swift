import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import GRPCCore
import Logging
import PostgresNIO
import ServiceLifecycle

/// Reads again, from the batch service, the compliance of every batch an event touched, so
/// that the read model holds each batch's compliance per requirement without deciding it
/// itself: the rules stay the batch service's. The batch's alerts follow in the same
/// transaction: raised for what it misses, resolved for what it no longer does.
struct ComplianceRefresher: Service {
    let database: Database
    let peers: Peers
    let logger: Logger
    /// How long it waits for a commit before it looks anyway: for batches marked by another
    /// replica, and claims left by a replica that died.
    var fallbackPoll: Duration = .seconds(1)

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                // Read before looking, so a mark committed while it looks wakes it again.
                let seen = self.database.commits.generation
                let stale = try await ComplianceModelStore.claimStale(limit: 50, for: .seconds(60), in: self.database, logger: self.logger)
                for (number, since) in stale {
                    try await self.refresh(number, mark: since)
                }
                if stale.isEmpty {
                    // Woken by this replica's commits (a feed event that marks a batch).
                    await cancelWhenGracefulShutdown { await self.database.commits.wait(past: seen, atMost: self.fallbackPoll) }
                }
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                self.logger.warning("cannot refresh batch compliance; trying again", metadata: ["error": "\(error)"])
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(2)) }
                } catch {
                    return
                }
            }
        }
    }

    private func refresh(_ number: String, mark since: Int64) async throws {
        let report: Conform_Batch_V1_ComplianceReport
        do {
            report = try await self.peers.call(.batch) { client, metadata, options in
                try await Conform_Batch_V1_BatchService.Client(wrapping: client).compliance(.with { $0.number = number }, metadata: metadata, options: options)
            }
        } catch let error as RPCError where error.code == .notFound {
            try await self.writes.write(as: self.context()) { transaction in
                try await ComplianceModelStore.forget(batch: number, mark: since, on: transaction.connection, logger: transaction.logger)
                try await Self.reconcileAlerts(of: number, batch: nil, states: [], in: transaction)
            }
            return
        }
        let states = report.requirements.map { requirement in
            RequirementState(
                customer: requirement.customer, requirementID: requirement.requirementID, version: requirement.version,
                isMandatory: requirement.strength == .mandatory, state: requirement.state.word, missing: requirement.missing,
                evidence: requirement.evidence.map { Int64($0) }
            )
        }
        let amendments = report.amendments.map { amendment in
            AuditReportRules.amendmentLine(
                number: Int(amendment.number), reason: amendment.reason, amendedBy: amendment.amendedBy, approvedBy: amendment.signedBy,
                signature: Int64(amendment.signatureID)
            )
        }
        try await self.writes.write(as: self.context()) { transaction in
            try await ComplianceModelStore.replace(
                batch: number, with: states, amendments: amendments, mark: since, on: transaction.connection, logger: transaction.logger
            )
            let batch = try await ReadModelStore.batch(number, on: transaction.connection, logger: transaction.logger)
            try await Self.reconcileAlerts(of: number, batch: batch, states: states, in: transaction)
        }
    }

    /// Its writes: the read model's compliance (derived from the batch service's answer, not
    /// audited) and the alerts that follow it (audited, as the reporting service's own).
    private var writes: Writes { Writes(database: self.database) }

    private func context() -> CallContext {
        .background(service: "reporting", task: "compliance-refresher", logger: self.logger)
    }

    private static func reconcileAlerts(of number: String, batch: BatchSummary?, states: [RequirementState], in transaction: WriteTransaction) async throws {
        let (policy, _, _) = try await AlertStore.policy(on: transaction.connection, logger: transaction.logger)
        try await AlertStore.reconcile(
            kinds: [.batchNonCompliant], subject: number,
            desired: batch.map { AlertRules.batchAlerts(batch: $0, states: states) } ?? [],
            resolution: { key in AlertRules.batchResolution(of: key, batch: batch, states: states) },
            policy: policy, today: .today, in: transaction
        )
    }
}

extension Conform_Batch_V1_RequirementState {
    /// As the read model stores it.
    var word: String {
        switch self {
        case .satisfied: return "satisfied"
        case .unsatisfied: return "unsatisfied"
        case .waived: return "waived"
        case .notApplicable: return "not applicable"
        case .unspecified, .UNRECOGNIZED: return "unknown"
        }
    }
}
