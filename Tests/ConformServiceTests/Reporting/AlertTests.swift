import ConformDomain
import ConformProtos
import ConformService
import ConformWire
import Foundation
import GRPCCore
import ReportingService
import Testing

/// Calls to the reporting service as one principal.
func reportingCall<Result: Sendable>(
    _ reporting: RunningService, as name: String = "quality-manager",
    _ body: (Conform_Reporting_V1_ReportingService.Client<ConformWireClientTransport>) async throws -> Result
) async throws -> Result {
    try await reporting.withClient(tls: try ServicePKI.shared().principal(name).wireClient()) { client in
        try await body(Conform_Reporting_V1_ReportingService.Client(wrapping: client))
    }
}

/// Polls `read` until `done` holds of what it returns (or `timeout` passes), and returns the last.
func eventually<Value: Sendable>(
    timeout: Duration = .seconds(30), _ read: () async throws -> Value, until done: (Value) -> Bool
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    var value = try await read()
    while !done(value), ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(200))
        value = try await read()
    }
    return value
}

@Suite("Alerts and escalation", .timeLimit(.minutes(3)))
struct AlertTests {
    static let fast = ["CONFORM_REPORTING_TICK_MS": "200"]

    static func alerts(_ reporting: RunningService, customer: String = "", all: Bool = false, as name: String = "quality-manager") async throws -> [Conform_Reporting_V1_Alert] {
        try await reportingCall(reporting, as: name) { client in
            try await client.listAlerts(.with { $0.customer = customer; $0.includeResolved = all }).alerts
        }
    }

    @Test("a non-compliant batch raises an alert per unmet requirement; it can be acknowledged, escalates when overdue, resolves itself, and a watcher sees it all")
    func batchAlerts() async throws {
        try await withServiceStack(suite: "alerts", reporting: true, reportingSettings: Self.fast) { stack in
            let reporting = try #require(stack.reporting)
            try await BatchScenario.seed(stack)
            let madeOn = Day.today.adding(days: -2)

            // A watcher from before the batch exists sees the alerts raised, live.
            let watched = Task {
                try await reportingCall(reporting, as: "quality-engineer") { client in
                    try await client.watchAlerts(.with { $0.customer = "A" }) { response in
                        var seen: [Conform_Reporting_V1_Alert] = []
                        for try await update in response.messages {
                            guard case .alert(let alert)? = update.update else { continue }
                            seen.append(alert)
                            if alert.requirementID == "CSR-AUTO-0847", alert.resolvedAtMicros != 0 { return seen }
                        }
                        return seen
                    }
                }
            }

            let batch = try await stack.batches { client in
                try await client.createBatch(.with { $0.number = "B-AL-1"; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = madeOn.description; $0.quantity = 2 })
            }
            let raised = try await eventually({ try await Self.alerts(reporting, customer: "A") }, until: { $0.count == 2 })
            let coa = try #require(raised.first { $0.requirementID == "CSR-AUTO-0847" })
            #expect(coa.kind == .batchNonCompliant)
            #expect(coa.message.hasPrefix("Batch B-AL-1 (Customer A) non-compliant. CSR-AUTO-0847 not satisfied: missing "))
            #expect(coa.message.hasSuffix("Days overdue: 2"))
            #expect(coa.daysOverdue == 2)
            #expect(coa.level == .qualityTeam)
            let ndt = try #require(raised.first { $0.requirementID == "CSR-A-0300" })
            #expect(ndt.message.contains("CSR-A-0300 (preferred) not satisfied"))

            // Acknowledged: who and what is being done, and the alert stays open.
            let acknowledged = try await reportingCall(reporting, as: "quality-engineer") { client in
                try await client.acknowledgeAlert(.with { $0.id = coa.id; $0.note = "CoA requested from STEEL-SUD" })
            }
            #expect(acknowledged.acknowledgedBy == "quality-engineer")
            #expect(acknowledged.resolvedAtMicros == 0)
            // Acknowledged again with an idempotency key, and retried: one change.
            let keyed = Conform_Reporting_V1_AcknowledgeAlertRequest.with { $0.id = coa.id; $0.note = "CoA chased by phone" }
            let first = try await reportingCall(reporting, as: "quality-engineer") { client in
                try await client.acknowledgeAlert(keyed, metadata: ["idempotency-key": "ack-\(coa.id)"])
            }
            let retried = try await reportingCall(reporting, as: "quality-engineer") { client in
                try await client.acknowledgeAlert(keyed, metadata: ["idempotency-key": "ack-\(coa.id)"])
            }
            #expect(retried == first)
            let operatorAck = await rpcError {
                try await reportingCall(reporting, as: "operator") { client in try await client.acknowledgeAlert(.with { $0.id = coa.id; $0.note = "seen it" }) }
            }
            #expect(operatorAck?.code == .permissionDenied)
            let hugeID = await rpcError {
                try await reportingCall(reporting, as: "quality-engineer") { client in try await client.acknowledgeAlert(.with { $0.id = .max; $0.note = "looking into it" }) }
            }
            #expect(hugeID?.code == .invalidArgument)

            // Two days overdue stays with the quality team under the standard 3 days; at 2 it escalates.
            let policy = try await reportingCall(reporting) { client in
                try await client.setAlertPolicy(.with { $0.escalateAfterDays = 2; $0.auditDueWithinDays = 30 })
            }
            #expect(policy.setBy == "quality-manager")
            let escalated = try await eventually({ try await Self.alerts(reporting, customer: "A") }, until: { $0.allSatisfy { $0.level == .management } })
            #expect(escalated.map(\.level) == [.management, .management])
            #expect(escalated.allSatisfy { $0.escalatedAtMicros > 0 })
            let engineerPolicy = await rpcError {
                try await reportingCall(reporting, as: "quality-engineer") { client in try await client.setAlertPolicy(.with { $0.escalateAfterDays = 9; $0.auditDueWithinDays = 30 }) }
            }
            #expect(engineerPolicy?.code == .permissionDenied)

            // The CoA arrives, signed, with the record field: that alert resolves itself; the other stays.
            let item = try await stack.evidence { client in try await BatchScenario.upload(client, batch: "B-AL-1", metadata: BatchScenario.fullCoA) }
            _ = try await stack.evidence(as: "quality-engineer") { client in
                try await BatchScenario.sign(client, target: "evidence:\(item.id)", digest: "sha256:\(item.sha256)", meaning: .approved, as: "quality-engineer")
            }
            _ = try await stack.batches { client in
                try await client.recordFields(.with { $0.number = batch.number; $0.values = ["smelter-production-date": "2025-01-03"] })
            }
            let open = try await eventually({ try await Self.alerts(reporting, customer: "A") }, until: { $0.count == 1 })
            #expect(open.map(\.requirementID) == ["CSR-A-0300"])
            let history = try await Self.alerts(reporting, customer: "A", all: true)
            let resolved = try #require(history.first { $0.id == coa.id })
            #expect(resolved.resolution == "CSR-AUTO-0847 is now satisfied")
            #expect(resolved.acknowledgementNote == "CoA chased by phone")

            // The watcher saw it raised, acknowledged, escalated and resolved, in that order.
            let seen = try await watched.value.filter { $0.id == coa.id }
            #expect(seen.first?.resolvedAtMicros == 0)
            #expect(seen.contains { !$0.acknowledgedBy.isEmpty })
            #expect(seen.contains { $0.level == .management })
            #expect(seen.last?.resolution == "CSR-AUTO-0847 is now satisfied")

            // A customer's principal watches and lists its own customer only; another is denied and audited.
            let own = try await Self.alerts(reporting, as: "customer-a-auditor")
            #expect(own.allSatisfy { $0.customer == "A" } && !own.isEmpty)
            let other = await rpcError { try await Self.alerts(reporting, customer: "D", as: "customer-a-auditor") }
            #expect(other?.code == .permissionDenied)
            let denials = try await reporting.auditEntries().filter { $0.principal == "customer-a-auditor" && $0.outcome == .denied }
            #expect(denials.map(\.object) == ["customer:D"])

            // Every change of the alert is on the trail, by whoever made it: the service itself
            // raised, escalated and resolved it; the engineer acknowledged it (twice, the retry
            // changing nothing); the manager set the policy, before and after.
            let trail = try await reporting.auditEntries()
            let changes = trail.filter { $0.object == "alert:\(coa.id)" && $0.outcome == .write }
            #expect(changes.filter { $0.principal == "quality-engineer" }.count == 2)
            #expect(changes.contains { $0.principal == "system:reporting" && $0.action == "reporting/compliance-refresher" && !$0.detailJson.contains("\"before\"") })
            #expect(changes.contains { $0.principal == "system:reporting" && $0.action == "reporting/alert-escalation" && $0.detailJson.contains("\"before\"") })
            #expect(changes.last?.detailJson.contains("CSR-AUTO-0847 is now satisfied") == true)
            let policyChange = try #require(trail.first { $0.object == "alert-policy" && $0.outcome == .write })
            #expect(policyChange.principal == "quality-manager")
            #expect(policyChange.detailJson.contains("\"before\""))
        }
    }

    @Test("a supplier audit coming due and an expired approval raise alerts, which resolve when the audit is recorded")
    func supplierAlerts() async throws {
        try await withServiceStack(suite: "supplier_alerts", reporting: true, reportingSettings: Self.fast) { stack in
            let reporting = try #require(stack.reporting)
            let today = Day.today
            try await stack.suppliers { client in
                for code in ["DUE-CO", "OLD-CO"] {
                    _ = try await client.createSupplier(.with {
                        $0.code = code; $0.name = "\(code) Ltd"; $0.sites = ["Plant 1"]
                        $0.contacts = [.with { $0.name = "Q. Contact"; $0.email = "quality@\(code.lowercased()).example"; $0.role = "quality" }]
                    })
                    _ = try await client.recordAudit(.with {
                        $0.supplier = code; $0.date = today.adding(days: -300).description; $0.type = "process"; $0.auditor = "R. Auditor"
                        $0.result = .passed; $0.nextDue = (code == "DUE-CO" ? today.adding(days: 10) : today.adding(days: 200)).description
                    })
                }
                _ = try await client.setAslEntry(.with {
                    $0.supplier = "OLD-CO"; $0.status = .approved; $0.scope = ["M8 fastener blanks"]
                    $0.approvedOn = today.adding(days: -400).description; $0.validUntil = today.adding(days: -5).description
                })
            }
            let raised = try await eventually({ try await AlertTests.alerts(reporting) }, until: { $0.count == 2 })
            let due = try #require(raised.first { $0.kind == .supplierAuditDue })
            #expect(due.subject == "DUE-CO")
            #expect(due.message == "Supplier DUE-CO: audit due on \(today.adding(days: 10)) (in 10 days)")
            #expect(due.level == .qualityTeam)
            let expired = try #require(raised.first { $0.kind == .supplierApprovalExpired })
            #expect(expired.message == "Supplier OLD-CO: approval on the ASL expired on \(today.adding(days: -5)). Days overdue: 5")
            #expect(expired.level == .management)

            try await stack.suppliers { client in
                _ = try await client.recordAudit(.with {
                    $0.supplier = "DUE-CO"; $0.date = today.description; $0.type = "process"; $0.auditor = "R. Auditor"
                    $0.result = .passed; $0.nextDue = today.adding(days: 365).description
                })
            }
            let left = try await eventually({ try await AlertTests.alerts(reporting) }, until: { $0.count == 1 })
            #expect(left.map(\.subject) == ["OLD-CO"])
            let history = try await AlertTests.alerts(reporting, all: true)
            #expect(history.first { $0.id == due.id }?.resolution == "DUE-CO's next audit is no longer due within the alert window (an audit was recorded or the window changed)")

            // Paging: one alert a page gives the same alerts, newest first; a token for all
            // alerts is refused for open ones only.
            let paged = try await reportingCall(reporting) { client in
                try await readPages { size, token in
                    let page = try await client.listAlerts(.with { $0.includeResolved = true; $0.pageSize = size; $0.pageToken = token })
                    return (page.alerts.map(\.id), page.nextPageToken)
                }
            }
            #expect(paged.items == history.map(\.id))
            #expect(paged.items == paged.items.sorted(by: >) && paged.pages == 2)
            try await reportingCall(reporting) { client in
                let token = try await client.listAlerts(.with { $0.includeResolved = true; $0.pageSize = 1 }).nextPageToken
                #expect(!token.isEmpty)
                await expectPageTokenRefused { try await client.listAlerts(.with { $0.pageToken = token }) }
            }
        }
    }
}
