import ConformDomain
import Foundation
import ReportingService
import Testing

/// `conform alert`, `conform reporting audit-report` and `conform export` against the running
/// services: what a quality engineer and an auditor type.
@Suite("conform alert, audit-report and export", .timeLimit(.minutes(3)))
struct CLIReportingTests {
    @Test("an alert listed and acknowledged, an audit report written as HTML, an export defined, run twice and shown")
    func reportingFromTheCommandLine() async throws {
        let tls = try CLITests.tlsFolder()
        let html = FileManager.default.temporaryDirectory.appendingPathComponent("conform-audit-\(UUID().uuidString.prefix(8)).html").path
        let drop = FileManager.default.temporaryDirectory.appendingPathComponent("conform-drop-\(UUID().uuidString.prefix(8))").path
        defer { for path in [tls, html, drop] { try? FileManager.default.removeItem(atPath: path) } }
        try await withServiceStack(suite: "cli_reporting", reporting: true, reportingSettings: ["CONFORM_EXPORT_DIR": drop]) { stack in
            let reporting = try #require(stack.reporting)
            try await BatchScenario.seedRequirements(stack)
            let madeOn = Day.today.adding(days: -1)
            let created = try await stack.conform(
                tls: tls, "batch", "create", "B-CLI-1", "--product", "FAST-M8", "--customer", "A", "--date", madeOn.description, "--quantity", "5", "--as", "operator"
            )
            #expect(created.status == 0, "\(created.output)")
            _ = try await eventually({ try await AlertTests.alerts(reporting, customer: "A") }, until: { $0.count == 2 })

            let listed = try await stack.conform(tls: tls, "alert", "list", "--customer", "A")
            #expect(listed.status == 0, "\(listed.output)")
            #expect(listed.output.contains("Batch B-CLI-1 (Customer A) non-compliant. CSR-AUTO-0847 not satisfied"))
            #expect(listed.output.contains("Days overdue: 1"))
            let id = try #require(try await AlertTests.alerts(reporting, customer: "A").first { $0.requirementID == "CSR-AUTO-0847" }?.id)
            let acknowledged = try await stack.conform(tls: tls, "alert", "ack", "\(id)", "--note", "CoA requested from the mill")
            #expect(acknowledged.status == 0, "\(acknowledged.output)")
            #expect(acknowledged.output.contains("acknowledged by quality-engineer: CoA requested from the mill"))
            let watched = try await stack.conform(tls: tls, "alert", "watch", "--customer", "A", "--seconds", "2")
            #expect(watched.status == 0, "\(watched.output)")
            #expect(watched.output.contains("-- watching for changes --"))
            #expect(watched.output.contains("B-CLI-1"))

            let report = try await stack.conform(
                tls: tls, "reporting", "audit-report", "--customer", "A", "--days", "30", "--seed", "7", "--html", html, "--as", "auditor"
            )
            #expect(report.status == 0, "\(report.output)")
            #expect(report.output.contains("Batches: 1; compliant 0, non-compliant 1"))
            #expect(report.output.contains("seed 7"))
            let document = try String(contentsOfFile: html, encoding: .utf8)
            #expect(document.contains("B-CLI-1") && document.contains("<svg"))
            let backwards = try await stack.conform(tls: tls, "reporting", "audit-report", "--customer", "A", "--from", "2026-05-01", "--to", "2026-04-01")
            #expect(backwards.status != 0)
            #expect(backwards.output.contains("is after to (2026-04-01)"), "\(backwards.output)")

            let defined = try await stack.conform(
                tls: tls, "export", "define", "--customer", "A", "--name", "monthly-quality", "--schedule", "on-demand", "--root", "QualityData",
                "--record", "Lot", "--field", "LotNo=batch.number", "--field", "Compliant=batch.compliant"
            )
            #expect(defined.status == 0, "\(defined.output)")
            #expect(defined.output.contains("version 1"))
            let period = ExportPeriod(containing: madeOn).description
            let first = try await stack.conform(tls: tls, "export", "run", "--customer", "A", "--name", "monthly-quality", "--period", period)
            #expect(first.output.contains("1 record(s)") && first.output.contains("revision 1, queued for delivery"), "\(first.output)")
            let again = try await stack.conform(tls: tls, "export", "run", "--customer", "A", "--name", "monthly-quality", "--period", period)
            #expect(again.output.contains("unchanged since revision 1; nothing new queued"), "\(again.output)")
            let shown = try await stack.conform(tls: tls, "export", "show", "1")
            #expect(shown.output.contains("<LotNo>B-CLI-1</LotNo>"))
            let badField = try await stack.conform(
                tls: tls, "export", "define", "--customer", "A", "--name", "x", "--root", "R", "--record", "L", "--field", "LotNo"
            )
            #expect(badField.status != 0)
            #expect(badField.output.contains("is not ELEMENT=SOURCE"))
        }
    }
}
