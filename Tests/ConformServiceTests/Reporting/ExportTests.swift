import ConformDomain
import ConformProtos
import ConformService
import ConformWire
import Crypto
import Foundation
import GRPCCore
import ReportingService
import Testing

@Suite("Customer exports", .timeLimit(.minutes(3)))
struct ExportTests {
    /// Defines A's "monthly-quality" export: on demand unless asked, so the schedule does not run it meanwhile.
    static func define(
        _ reporting: RunningService, fields: [(String, String)], schedule: String = "on-demand", as name: String = "quality-engineer"
    ) async throws -> Conform_Reporting_V1_ExportDefinition {
        try await reportingCall(reporting, as: name) { client in
            try await client.defineExport(.with {
                $0.definition = .with {
                    $0.customer = "A"; $0.name = "monthly-quality"; $0.schedule = schedule == "monthly" ? .monthly : .onDemand; $0.rootElement = "QualityData"; $0.recordElement = "Lot"
                    $0.fields = fields.map { element, source in .with { $0.element = element; $0.source = source } }
                }
            })
        }
    }

    static func run(_ reporting: RunningService, period: String, as name: String = "quality-engineer", customer: String = "A") async throws -> Conform_Reporting_V1_CustomerExport {
        try await reportingCall(reporting, as: name) { client in
            try await client.runExport(.with { $0.customer = customer; $0.name = "monthly-quality"; $0.period = period })
        }
    }

    static func deliveries(_ reporting: RunningService) async throws -> [Conform_Reporting_V1_Delivery] {
        try await reportingCall(reporting) { client in try await client.listDeliveries(.init()).deliveries }
    }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    @Test("a customer's layout is versioned; a period's export is validated, queued and delivered to the drop folder; running it again duplicates nothing; changed data makes a new revision")
    func exportAndDeliver() async throws {
        let drop = FileManager.default.temporaryDirectory.appendingPathComponent("conform-exports-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: drop) }
        try await withServiceStack(suite: "exports", reporting: true, reportingSettings: ["CONFORM_EXPORT_DIR": drop, "CONFORM_REPORTING_TICK_MS": "200"]) { stack in
            let reporting = try #require(stack.reporting)
            try await BatchScenario.seed(stack)
            let madeOn = Day.today.adding(days: -1)
            let period = ExportPeriod(containing: madeOn).description
            for number in ["B-EX-1", "B-EX-2"] {
                _ = try await stack.batches { client in
                    try await client.createBatch(.with { $0.number = number; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = madeOn.description; $0.quantity = 1 })
                }
            }
            _ = try await ComplianceModelTests.await(reporting, batch: "B-EX-2", until: ["A/CSR-AUTO-0847": "unsatisfied", "A/CSR-A-0300": "unsatisfied"])

            // Versions: the same layout again is the same version; a change is the next.
            let first = try await Self.define(reporting, fields: [("LotNo", "batch.number"), ("Made", "batch.manufacture_date")])
            #expect(first.version == 1)
            let same = try await Self.define(reporting, fields: [("LotNo", "batch.number"), ("Made", "batch.manufacture_date")])
            #expect(same.version == 1)
            let fields = [("LotNo", "batch.number"), ("Made", "batch.manufacture_date"), ("Compliant", "batch.compliant"), ("Documents", "batch.evidence_count")]
            let second = try await Self.define(reporting, fields: fields)
            #expect(second.version == 2)
            let badSource = await rpcError { try await Self.define(reporting, fields: [("LotNo", "batch.colour")]) }
            #expect(badSource?.code == .invalidArgument)
            #expect(badSource?.message.contains("definition.fields[0].source") == true)
            let badElement = await rpcError { try await Self.define(reporting, fields: [("Lot No", "batch.number")]) }
            #expect(badElement?.message.contains("definition.fields[0].element") == true)

            // Generated, validated, queued, delivered.
            let export = try await Self.run(reporting, period: period)
            #expect(export.revision == 1 && !export.unchanged)
            #expect(export.records == 2)
            #expect(export.definitionVersion == 2)
            let delivered = try await eventually({ try await Self.deliveries(reporting) }, until: { $0.first?.status == .delivered })
            #expect(delivered.count == 1)
            let delivery = try #require(delivered.first)
            #expect(delivery.attempts == 1)
            #expect(delivery.path == "A/\(export.fileName)")
            // On the trail: two versions of the layout (the same layout again changed nothing),
            // the export generated on request, and its delivery by the service itself.
            let trail = try await reporting.auditEntries().filter { $0.outcome == .write }
            #expect(trail.filter { $0.object == "export-definition:A/monthly-quality" }.map(\.principal) == ["quality-engineer", "quality-engineer"])
            #expect(trail.filter { $0.object == "export:\(export.id)" }.map(\.principal) == ["quality-engineer"])
            let delivering = trail.filter { $0.object == "delivery:\(delivery.id)" }
            #expect(delivering.map(\.principal) == ["system:reporting"])
            #expect(delivering.first?.action == "reporting/export-delivery")
            #expect(delivering.first?.detailJson.contains("DELIVERY_STATUS_DELIVERED") == true)
            let file = try Data(contentsOf: URL(fileURLWithPath: "\(drop)/\(delivery.path)"))
            #expect(Self.sha256(file) == export.sha256)
            let document = try #require(String(data: file, encoding: .utf8))
            #expect(document.contains("<QualityData customer=\"A\" period=\"\(period)\""))
            #expect(document.contains("<LotNo>B-EX-1</LotNo>"))
            #expect(document.contains("<Compliant>false</Compliant>"))

            // Again, nothing changed: the same export, no new revision, no second delivery.
            let again = try await Self.run(reporting, period: period)
            #expect(again.unchanged)
            #expect(again.id == export.id && again.revision == 1 && again.sha256 == export.sha256)
            let exports = try await reportingCall(reporting) { client in try await client.listExports(.with { $0.customer = "A" }).exports }
            #expect(exports.count == 1)
            #expect(try await Self.deliveries(reporting).count == 1)

            // Evidence arrives for a batch: the period's content changed, so revision 2, delivered as its own file.
            _ = try await stack.evidence { client in try await BatchScenario.upload(client, batch: "B-EX-1", metadata: BatchScenario.fullCoA) }
            let changed = try await eventually({ try await Self.run(reporting, period: period) }, until: { $0.revision == 2 })
            #expect(!changed.unchanged)
            #expect(changed.id == export.id)
            #expect(changed.fileName.hasSuffix("-r2.xml"))
            let both = try await eventually({ try await Self.deliveries(reporting) }, until: { $0.count == 2 && $0.allSatisfy { $0.status == .delivered } })
            #expect(both.map(\.revision).sorted() == [1, 2])
            let content = try await reportingCall(reporting) { client in try await client.getExportContent(.with { $0.id = changed.id }) }
            #expect(Self.sha256(content.content) == changed.sha256)
            #expect(String(decoding: content.content, as: UTF8.self).contains("<Documents>1</Documents>"))

            // Periods that have not begun, and ids no export can have, are explained, not crashed on.
            let future = await rpcError { try await Self.run(reporting, period: ExportPeriod(containing: .today).next.description) }
            #expect(future?.code == .invalidArgument)
            #expect(future?.message.contains("has not begun") == true)
            let farFuture = await rpcError { try await Self.run(reporting, period: "9999-12") }
            #expect(farFuture?.code == .invalidArgument)
            let hugeID = await rpcError { try await reportingCall(reporting) { client in try await client.getExportContent(.with { $0.id = .max }) } }
            #expect(hugeID?.code == .notFound)

            // A customer's principal runs and reads its own exports; another customer's are denied and audited.
            let own = try await reportingCall(reporting, as: "customer-a-auditor") { client in try await client.listExports(.init()).exports }
            #expect(own.map(\.id) == [export.id])
            let other = await rpcError { try await Self.run(reporting, period: period, as: "customer-a-auditor", customer: "D") }
            #expect(other?.code == .permissionDenied)
            let otherList = await rpcError {
                try await reportingCall(reporting, as: "customer-a-auditor") { client in try await client.listExports(.with { $0.customer = "D" }) }
            }
            #expect(otherList?.code == .permissionDenied)
            let denials = try await reporting.auditEntries().filter { $0.principal == "customer-a-auditor" && $0.outcome == .denied }
            #expect(denials.map(\.object) == ["customer:D", "customer:D"])
            // Another customer's export reads as one that does not exist: its id tells a
            // customer's principal nothing. The attempt is on the trail with the id.
            let notTheirs = await rpcError {
                try await reportingCall(reporting, as: "customer-d-auditor") { client in try await client.getExportContent(.with { $0.id = export.id }) }
            }
            let noSuch = await rpcError {
                try await reportingCall(reporting, as: "customer-d-auditor") { client in try await client.getExportContent(.with { $0.id = export.id + 1_000 }) }
            }
            #expect(notTheirs?.code == .notFound && noSuch?.code == .notFound)
            #expect(notTheirs?.message == "no export \(export.id) of customer D; ListExports shows them")
            #expect(noSuch?.message == "no export \(export.id + 1_000) of customer D; ListExports shows them")
            let attempt = try await reporting.auditEntries().first { $0.principal == "customer-d-auditor" && $0.object == "export:\(export.id)" }
            #expect(attempt?.outcome == .refused)
        }
    }

    @Test("a delivery that cannot be written stays queued with its attempts and the error, to be tried again")
    func failedDelivery() async throws {
        // A file where the drop folder should be: no customer folder can be made under it.
        let blocked = FileManager.default.temporaryDirectory.appendingPathComponent("conform-blocked-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: blocked, contents: Data("not a folder".utf8)))
        defer { try? FileManager.default.removeItem(atPath: blocked) }
        try await withServiceStack(suite: "export_delivery", reporting: true, reportingSettings: ["CONFORM_EXPORT_DIR": blocked, "CONFORM_REPORTING_TICK_MS": "200"]) { stack in
            let reporting = try #require(stack.reporting)
            try await BatchScenario.seed(stack)
            _ = try await Self.define(reporting, fields: [("LotNo", "batch.number")])
            let export = try await Self.run(reporting, period: "2025-01")
            #expect(export.records == 0)
            let failing = try await eventually({ try await Self.deliveries(reporting) }, until: { ($0.first?.attempts ?? 0) >= 1 })
            let delivery = try #require(failing.first)
            #expect(delivery.status == .queued)
            #expect(delivery.attempts >= 1)
            #expect(delivery.lastError.hasPrefix("cannot write A/A-monthly-quality-2025-01.xml in the drop folder: "), "\(delivery.lastError)")
            #expect(!delivery.lastError.contains(blocked))
            #expect(delivery.nextAttemptAtMicros > delivery.queuedAtMicros)
        }
    }

    @Test("a monthly export is generated by the schedule once its month has ended, and only once")
    func scheduled() async throws {
        let drop = FileManager.default.temporaryDirectory.appendingPathComponent("conform-exports-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: drop) }
        try await withServiceStack(suite: "export_schedule", reporting: true, reportingSettings: ["CONFORM_EXPORT_DIR": drop, "CONFORM_REPORTING_TICK_MS": "200"]) { stack in
            let reporting = try #require(stack.reporting)
            try await BatchScenario.seed(stack)
            _ = try await Self.define(reporting, fields: [("LotNo", "batch.number")], schedule: "monthly")
            let lastMonth = ExportPeriod(containing: .today).previous.description
            let exports = try await eventually(
                { try await reportingCall(reporting) { client in try await client.listExports(.init()).exports } },
                until: { !$0.isEmpty }
            )
            #expect(exports.map(\.period) == [lastMonth])
            #expect(exports.first?.generatedBy == "system:reporting")
            // The service generated it on its own, and the trail says so.
            let generated = try await reporting.auditEntries().filter { $0.object == "export:\(exports.first?.id ?? 0)" && $0.outcome == .write }
            #expect(generated.map(\.principal) == ["system:reporting"])
            #expect(generated.first?.action == "reporting/export-scheduler")
            try await Task.sleep(for: .seconds(1))
            let later = try await reportingCall(reporting) { client in try await client.listExports(.init()).exports }
            #expect(later.map(\.revision) == [1])
        }
    }

    @Test("definitions, exports and deliveries page with a keyset token, newest first where they are runs, and a token used with other filters is refused")
    func paging() async throws {
        let drop = FileManager.default.temporaryDirectory.appendingPathComponent("conform-exports-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: drop) }
        try await withServiceStack(suite: "export_paging", reporting: true, reportingSettings: ["CONFORM_EXPORT_DIR": drop, "CONFORM_REPORTING_TICK_MS": "200"]) { stack in
            let reporting = try #require(stack.reporting)
            try await BatchScenario.seed(stack)
            _ = try await Self.define(reporting, fields: [("LotNo", "batch.number")])
            _ = try await reportingCall(reporting) { client in
                try await client.defineExport(.with {
                    $0.definition = .with {
                        $0.customer = "A"; $0.name = "annual-summary"; $0.schedule = .onDemand; $0.rootElement = "Summary"; $0.recordElement = "Lot"
                        $0.fields = [.with { $0.element = "LotNo"; $0.source = "batch.number" }]
                    }
                })
            }
            var runs: [UInt64] = []
            for period in ["2025-01", "2025-02", "2025-03"] {
                let run = try await Self.run(reporting, period: period)
                runs.append(run.id)
            }
            let newestFirst = Array(runs.reversed())
            try await reportingCall(reporting) { client in
                let definitions = try await readPages { size, token in
                    let page = try await client.listExportDefinitions(.with { $0.customer = "A"; $0.pageSize = size; $0.pageToken = token })
                    return (page.definitions.map { "\($0.customer)/\($0.name)" }, page.nextPageToken)
                }
                #expect(definitions.items == ["A/annual-summary", "A/monthly-quality"])
                #expect(definitions.pages == 2)

                let exports = try await readPages { size, token in
                    let page = try await client.listExports(.with { $0.customer = "A"; $0.pageSize = size; $0.pageToken = token })
                    return (page.exports.map(\.id), page.nextPageToken)
                }
                let allExports = try await client.listExports(.init())
                #expect(exports.items == newestFirst)
                #expect(allExports.exports.map(\.id) == newestFirst && allExports.nextPageToken.isEmpty)
                #expect(exports.pages == 3)

                let deliveries = try await readPages { size, token in
                    let page = try await client.listDeliveries(.with { $0.pageSize = size; $0.pageToken = token })
                    return (page.deliveries.map(\.id), page.nextPageToken)
                }
                let allDeliveries = try await client.listDeliveries(.with { $0.customer = "A" })
                #expect(deliveries.items.count == 3 && deliveries.items == deliveries.items.sorted(by: >))
                #expect(allDeliveries.deliveries.map(\.id) == deliveries.items)

                // A token belongs to its list and filters.
                let definitionToken = try await client.listExportDefinitions(.with { $0.customer = "A"; $0.pageSize = 1 }).nextPageToken
                let exportToken = try await client.listExports(.with { $0.customer = "A"; $0.pageSize = 1 }).nextPageToken
                let deliveryToken = try await client.listDeliveries(.with { $0.pageSize = 1 }).nextPageToken
                #expect(![definitionToken, exportToken, deliveryToken].contains(""))
                await expectPageTokenRefused { try await client.listExportDefinitions(.with { $0.pageToken = definitionToken }) }
                await expectPageTokenRefused { try await client.listExports(.with { $0.pageToken = exportToken }) }
                await expectPageTokenRefused { try await client.listExports(.with { $0.pageToken = deliveryToken }) }
                await expectPageTokenRefused { try await client.listDeliveries(.with { $0.customer = "A"; $0.pageToken = deliveryToken }) }
            }
        }
    }
}
