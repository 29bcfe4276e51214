import ConformDomain
import ConformProtos
import ConformService
import ConformWire
import Foundation
import GRPCCore
import ReportingService
import Testing

@Suite("Audit evidence reports", .timeLimit(.minutes(3)))
struct AuditReportTests {
    struct Received {
        var summary = Conform_Reporting_V1_AuditReportSummary()
        var batches: [Conform_Reporting_V1_ReportedBatch] = []
        var archive: [Conform_Reporting_V1_ArchivedItem] = []
        var html = Data()
    }

    static func report(
        _ reporting: RunningService, as name: String = "auditor", _ adjust: (inout Conform_Reporting_V1_AuditReportRequest) -> Void
    ) async throws -> Received {
        var request = Conform_Reporting_V1_AuditReportRequest.with { $0.customer = "A"; $0.days = 30 }
        adjust(&request)
        return try await reportingCall(reporting, as: name) { client in
            try await client.getAuditReport(request) { response in
                var received = Received()
                for try await part in response.messages {
                    switch part.part {
                    case .summary(let summary)?: received.summary = summary
                    case .batches(let page)?: received.batches += page.batches
                    case .archive(let page)?: received.archive += page.items
                    case .html(let chunk)?: received.html += chunk
                    case nil: break
                    }
                }
                return received
            }
        }
    }

    @Test("a customer's report for a period: totals, reasons, percentage, a sample reproducible from its seed, the archive with hashes and signatures, and HTML")
    func report() async throws {
        try await withServiceStack(suite: "audit_report", reporting: true) { stack in
            let reporting = try #require(stack.reporting)
            try await BatchScenario.seed(stack)
            let madeOn = Day.today.adding(days: -3)
            for number in ["B-AR-1", "B-AR-2", "B-AR-OLD"] {
                _ = try await stack.batches { client in
                    try await client.createBatch(.with {
                        $0.number = number; $0.product = "FAST-M8"; $0.customer = "A"; $0.quantity = 1
                        $0.manufactureDate = (number == "B-AR-OLD" ? Day.today.adding(days: -200) : madeOn).description
                    })
                }
            }
            // B-AR-1 meets the CoA requirement: the CoA, signed, and the record field. B-AR-2 has
            // a CoA nobody signed, and a second one correcting it.
            let signed = try await stack.evidence { client in try await BatchScenario.upload(client, batch: "B-AR-1", metadata: BatchScenario.fullCoA) }
            _ = try await stack.evidence(as: "quality-engineer") { client in
                try await BatchScenario.sign(client, target: "evidence:\(signed.id)", digest: "sha256:\(signed.sha256)", meaning: .approved, as: "quality-engineer")
            }
            _ = try await stack.batches { client in
                try await client.recordFields(.with { $0.number = "B-AR-1"; $0.values = ["smelter-production-date": "2025-01-03"] })
            }
            let first = try await stack.evidence { client in try await BatchScenario.upload(client, batch: "B-AR-2", metadata: BatchScenario.fullCoA) }
            let correction = try await stack.evidence { client in
                try await BatchScenario.upload(client, batch: "B-AR-2", metadata: BatchScenario.fullCoA, supersedes: first.id, reason: "the first scan was cut off")
            }
            _ = try await stack.evidence { client in try await BatchScenario.upload(client, batch: "B-AR-OLD", metadata: BatchScenario.fullCoA) }
            _ = try await ComplianceModelTests.await(reporting, batch: "B-AR-1", until: ["A/CSR-AUTO-0847": "satisfied", "A/CSR-A-0300": "unsatisfied"])
            _ = try await eventually({ try await Self.report(reporting) { $0.requirementIds = ["CSR-AUTO-0847"] } }, until: { $0.archive.count == 3 })

            let report = try await Self.report(reporting) {
                $0.requirementIds = ["CSR-AUTO-0847"]; $0.sampleSize = 2; $0.seed = 42; $0.html = true
            }
            let summary = report.summary
            #expect(summary.from == Day.today.adding(days: -29).description)
            #expect(summary.to == Day.today.description)
            #expect(summary.totalBatches == 2)
            #expect(summary.compliant == 1)
            #expect(summary.nonCompliant == 1)
            #expect(summary.compliancePercent == 50)
            #expect(summary.seed == 42)
            #expect(report.batches.map(\.number) == ["B-AR-1", "B-AR-2"])
            let unmet = try #require(report.batches.first { $0.number == "B-AR-2" })
            #expect(unmet.outcome == .nonCompliant)
            #expect(unmet.reasons.count == 1 && unmet.reasons[0].hasPrefix("CSR-AUTO-0847: missing"))

            // The archive: every item of those batches, the corrected one too, each with its hash and signatures.
            #expect(report.archive.map(\.id) == [signed.id, first.id, correction.id])
            #expect(report.archive.allSatisfy { $0.sha256 == signed.sha256 })
            #expect(report.archive.first { $0.id == first.id }?.supersededBy == correction.id)
            // What each satisfies is what compliance counted: the signed CoA, not the unsigned ones.
            #expect(report.archive.first { $0.id == signed.id }?.satisfies == ["A/CSR-AUTO-0847 v2.0"])
            #expect(report.archive.filter { $0.id != signed.id }.allSatisfy { $0.satisfies.isEmpty && $0.concerns == ["A/CSR-AUTO-0847 v2.0"] })
            let signature = try #require(report.archive.first { $0.id == signed.id }?.signatures.first)
            #expect(signature.signer == "quality-engineer")
            #expect(signature.meaning == "approved")
            #expect(!signature.printedName.isEmpty && signature.signedAtMicros > 0)

            // The sample: current items only, and the same seed draws the same items again.
            #expect(summary.sample.count == 2)
            #expect(!summary.sample.contains { $0.id == first.id })
            let again = try await Self.report(reporting) { $0.requirementIds = ["CSR-AUTO-0847"]; $0.sampleSize = 2; $0.seed = 42 }
            #expect(again.summary.sample.map(\.id) == summary.sample.map(\.id))
            let unseeded = try await Self.report(reporting) { $0.requirementIds = ["CSR-AUTO-0847"] }
            #expect(unseeded.summary.seed != 0)

            // Compliance over time: the week the batches were made.
            let week = try #require(summary.overTime.first { $0.batches > 0 })
            #expect(week.weekStarting == madeOn.mondayOfWeek.description)
            #expect(week.compliant == 1)

            // The HTML document: self-contained, with the figures, the hashes, the signatures and a chart.
            let html = try #require(String(data: report.html, encoding: .utf8))
            #expect(html.hasPrefix("<!DOCTYPE html>"))
            #expect(html.contains(signed.sha256))
            #expect(html.contains(signature.printedName))
            #expect(html.contains("<svg"))
            #expect(html.contains("50.0 %"))
            #expect(html.contains("42"))
            #expect(!html.contains("<script"))
            // Nothing is fetched from elsewhere (the SVG namespace is a name, not a fetch).
            #expect(!html.contains(" src=") && !html.contains("<link") && !html.contains("url("))

            // 201 days ending today reach the batch made 200 days ago.
            let longer = try await Self.report(reporting) { $0.days = 201 }
            #expect(longer.summary.totalBatches == 3)
        }
    }

    @Test("a customer's principal gets its own customer's report; another customer's is denied and audited; a bad period is explained")
    func partnerScope() async throws {
        try await withServiceStack(suite: "audit_report_scope", reporting: true) { stack in
            let reporting = try #require(stack.reporting)
            try await BatchScenario.seed(stack)
            let own = try await Self.report(reporting, as: "customer-a-auditor") { $0.customer = "A" }
            #expect(own.summary.customer == "A")
            let other = await rpcError { try await Self.report(reporting, as: "customer-a-auditor") { $0.customer = "D" } }
            #expect(other?.code == .permissionDenied)
            let denials = try await reporting.auditEntries().filter { $0.principal == "customer-a-auditor" && $0.outcome == .denied }
            #expect(denials.map(\.object) == ["customer:D"])

            let backwards = await rpcError { try await Self.report(reporting) { $0.from = "2026-05-01"; $0.to = "2026-04-01" } }
            #expect(backwards?.code == .invalidArgument)
            #expect(backwards?.message.contains("2026-05-01 is after to (2026-04-01)") == true, "\(backwards?.message ?? "")")
            let noCustomer = await rpcError { try await Self.report(reporting) { $0.customer = "" } }
            #expect(noCustomer?.code == .invalidArgument)
        }
    }
}
