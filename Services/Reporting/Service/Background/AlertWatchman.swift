import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import Logging
import ServiceLifecycle

/// Keeps alerts that depend on the calendar current: escalates the overdue ones to
/// management, and raises and resolves supplier alerts from what the supplier service says
/// comes due. Batch alerts need no clock: they follow compliance (ComplianceRefresher).
struct AlertWatchman: Service {
    let database: Database
    let peers: Peers
    let logger: Logger
    let interval: Duration

    func run() async throws {
        await repeatEvery(self.interval, logger: self.logger, failure: "cannot bring alerts up to date; trying again") {
            try await self.look()
        }
    }

    /// One look at the calendar.
    func look() async throws {
        let today = Day.today
        let (policy, _, _) = try await AlertStore.policy(in: self.database, logger: self.logger)
        // Escalation first: it needs no other service, so a supplier service that is down
        // does not hold it up.
        let writes = Writes(database: self.database)
        let escalated = try await writes.write(as: .background(service: "reporting", task: "alert-escalation", logger: self.logger)) { transaction in
            try await AlertStore.escalate(policy: policy, today: today, in: transaction)
        }
        if escalated > 0 {
            self.logger.notice("alerts escalated to management", metadata: ["count": "\(escalated)", "after_days": "\(policy.escalateAfterDays)"])
        }
        // Every page: reconciling resolves the supplier alerts that are not listed, so a page
        // left unread would resolve alerts that still hold.
        var due = Conform_Supplier_V1_ListDueResponse()
        var token = ""
        repeat {
            let after = token
            let page = try await self.peers.call(.supplier) { client, metadata, options in
                try await Conform_Supplier_V1_SupplierService.Client(wrapping: client).listDue(
                    .with {
                        $0.withinDays = UInt32(max(1, policy.auditDueWithinDays))
                        $0.pageSize = UInt32(KeysetPage.maxSize)
                        $0.pageToken = after
                    },
                    metadata: metadata, options: options
                )
            }
            due.audits += page.audits
            due.expiredApprovals += page.expiredApprovals
            token = page.nextPageToken
        } while !token.isEmpty
        let drafts = AlertRules.supplierAlerts(
            audits: due.audits.compactMap { audit in Day(audit.nextDue).map { DueAudit(supplier: audit.supplier, nextDue: $0) } },
            expired: due.expiredApprovals.compactMap { entry in Day(entry.validUntil).map { ExpiredApproval(supplier: entry.supplier, validUntil: $0) } }
        )
        try await writes.write(as: .background(service: "reporting", task: "supplier-alerts", logger: self.logger)) { transaction in
            try await AlertStore.reconcile(
                kinds: [.supplierAuditDue, .supplierApprovalExpired], subject: nil, desired: drafts,
                resolution: AlertRules.supplierResolution(of:), policy: policy, today: today, in: transaction
            )
        }
    }
}
