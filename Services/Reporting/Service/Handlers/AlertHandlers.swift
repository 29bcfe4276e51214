import ConformDomain
import ConformProtos
import ConformService
import ConformStorage
import GRPCCore
import Logging

/// The wire side of alerts.
extension ReportingHandlers {
    func listAlerts(request: Conform_Reporting_V1_ListAlertsRequest, context: ServerContext) async throws -> Conform_Reporting_V1_ListAlertsResponse {
        let call = try CallContext.required()
        let customer = try call.customerFilter(request.customer)
        if let customer { try await self.checkCustomerExists(customer, call: call) }
        let page = try KeysetPage(
            size: request.pageSize, token: request.pageToken, scope: "ListAlerts|\(customer ?? "")|\(request.includeResolved ? "all" : "open")", keys: [.integer]
        )
        let rows = try await AlertStore.list(
            customer: customer, includeResolved: request.includeResolved, after: page.after(0), limit: page.readLimit, in: self.database, logger: call.logger
        )
        let (alerts, next) = page.finish(rows) { ["\($0.id)"] }
        let today = Day.today
        return .with {
            $0.alerts = alerts.map { $0.message(today: today) }
            $0.nextPageToken = next
        }
    }

    func acknowledgeAlert(request: Conform_Reporting_V1_AcknowledgeAlertRequest, context: ServerContext) async throws -> Conform_Reporting_V1_Alert {
        guard let id = Int64(exactly: request.id), id > 0 else {
            throw DomainError.invalid(field: "id", reason: "name the alert to acknowledge (ListAlerts shows their ids)")
        }
        let note = try FieldRules.text(request.note, field: "note", maxLength: 2_000)
        guard note.count >= 5 else {
            throw DomainError.invalid(field: "note", reason: "say what is being done about it, e.g. \"CoA requested from the supplier\"")
        }
        return try await self.writes.write(request) { transaction in
            try await AlertStore.acknowledge(id: id, by: transaction.call.principal.name, note: note, in: transaction).message(today: .today)
        }
    }

    func watchAlerts(
        request: Conform_Reporting_V1_WatchAlertsRequest, response: RPCWriter<Conform_Reporting_V1_AlertUpdate>, context: ServerContext
    ) async throws {
        let call = try CallContext.required()
        let customer = try call.customerFilter(request.customer)
        if let customer { try await self.checkCustomerExists(customer, call: call) }
        let database = self.database
        let changed = self.feedChanges
        try await untilCancelled(context) {
            // The cursor is read before the open alerts, so a change between the two is sent
            // again rather than missed.
            var cursor = try await AlertStore.latestChange(in: database, logger: call.logger)
            let open = try await AlertStore.list(customer: customer, includeResolved: false, in: database, logger: call.logger)
            for alert in open.reversed() {
                try await response.write(.with { $0.alert = alert.message(today: .today) })
            }
            try await response.write(.with { $0.caughtUp = true })
            while true {
                // Every alert change puts an event in the reporting feed; its positioning (on
                // whichever replica seals) is what wakes this watch.
                let seen = changed.generation
                let changes = try await AlertStore.changes(after: cursor, customer: customer, limit: 200, in: database, logger: call.logger)
                for (alert, position) in changes {
                    try await response.write(.with { $0.alert = alert.message(today: .today) })
                    cursor = position
                }
                if changes.count < 200 {
                    await changed.wait(past: seen, atMost: Self.watchFallbackPoll)
                    try Task.checkCancellation()
                }
            }
        }
    }

    func getAlertPolicy(request: Conform_Reporting_V1_GetAlertPolicyRequest, context: ServerContext) async throws -> Conform_Reporting_V1_AlertPolicy {
        let call = try CallContext.required()
        let (policy, setBy, setAt) = try await AlertStore.policy(in: self.database, logger: call.logger)
        return policy.message(setBy: setBy, setAtMicros: setAt)
    }

    func setAlertPolicy(request: Conform_Reporting_V1_SetAlertPolicyRequest, context: ServerContext) async throws -> Conform_Reporting_V1_AlertPolicy {
        guard (1...365).contains(request.escalateAfterDays) else {
            throw DomainError.invalid(field: "escalate_after_days", reason: "\(request.escalateAfterDays) is not 1 to 365 days")
        }
        guard (1...365).contains(request.auditDueWithinDays) else {
            throw DomainError.invalid(field: "audit_due_within_days", reason: "\(request.auditDueWithinDays) is not 1 to 365 days")
        }
        let policy = AlertPolicy(escalateAfterDays: Int(request.escalateAfterDays), auditDueWithinDays: Int(request.auditDueWithinDays))
        return try await self.writes.write(request) { transaction in
            try await AlertStore.setPolicy(policy, in: transaction)
        }
    }
}

extension Alert {
    /// On the wire, with its message and days overdue as of `today`.
    func message(today: Day) -> Conform_Reporting_V1_Alert {
        .with {
            $0.id = UInt64(self.id)
            $0.kind = switch self.draft.key.kind {
            case .batchNonCompliant: .batchNonCompliant
            case .supplierAuditDue: .supplierAuditDue
            case .supplierApprovalExpired: .supplierApprovalExpired
            }
            $0.subject = self.draft.key.subject
            $0.customer = self.draft.customer
            $0.requirementID = self.draft.key.requirementID
            $0.mandatory = self.draft.isMandatory
            $0.message = AlertRules.message(of: self.draft, today: today)
            $0.level = self.level == .management ? .management : .qualityTeam
            $0.dueOn = self.draft.dueOn.description
            $0.daysOverdue = UInt32(AlertRules.daysOverdue(self.draft.dueOn, today: today))
            $0.raisedAtMicros = self.raisedAtMicros
            $0.escalatedAtMicros = self.escalatedAtMicros
            $0.acknowledgedBy = self.acknowledgedBy
            $0.acknowledgedAtMicros = self.acknowledgedAtMicros
            $0.acknowledgementNote = self.acknowledgementNote
            $0.resolvedAtMicros = self.resolvedAtMicros
            $0.resolution = self.resolution
            $0.revision = UInt64(self.revision)
        }
    }
}

extension AlertPolicy {
    /// On the wire, with who set it and when ("" and 0 for the standard one).
    func message(setBy: String, setAtMicros: Int64) -> Conform_Reporting_V1_AlertPolicy {
        .with {
            $0.escalateAfterDays = UInt32(self.escalateAfterDays)
            $0.auditDueWithinDays = UInt32(self.auditDueWithinDays)
            $0.setBy = setBy
            $0.setAtMicros = setAtMicros
        }
    }
}
