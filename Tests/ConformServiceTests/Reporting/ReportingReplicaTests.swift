import ConformDomain
import ConformProtos
import ConformService
import Foundation
import PostgresNIO
import ReportingService
import Testing

@Suite("Two reporting replicas on one schema", .timeLimit(.minutes(3)))
struct ReportingReplicaTests {
    @Test("each event is applied once, each scheduled export generated and delivered once, each alert raised once")
    func twoReplicas() async throws {
        let drop = FileManager.default.temporaryDirectory.appendingPathComponent("conform-replicas-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: drop) }
        let settings = ["CONFORM_EXPORT_DIR": drop, "CONFORM_REPORTING_TICK_MS": "200"]
        try await withServiceStack(suite: "reportreplicas", reporting: true, reportingSettings: settings) { stack in
            let first = try #require(stack.reporting)
            let peers: [PeerService: PeerAddress] = [
                .requirement: PeerAddress(host: "127.0.0.1", port: stack.requirement.wirePort),
                .batch: PeerAddress(host: "127.0.0.1", port: stack.batch.wirePort),
                .evidence: PeerAddress(host: "127.0.0.1", port: stack.evidence.wirePort),
                .supplier: PeerAddress(host: "127.0.0.1", port: stack.supplier.wirePort),
            ]
            try await withRequirementService(
                suite: "reportreplicas", definition: .reporting, postgres: first.postgres, existing: first.database,
                peerAddresses: peers, tls: try ServicePKI.shared().services["reporting"], environment: settings
            ) { second in
                try await BatchScenario.seed(stack)
                let lastMonth = ExportPeriod(containing: .today).previous
                let madeOn = Day(lastMonth.description + "-15") ?? Day.today.adding(days: -31)
                for number in ["B-REP-1", "B-REP-2", "B-REP-3"] {
                    _ = try await stack.batches { client in
                        try await client.createBatch(.with {
                            $0.number = number; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = madeOn.description; $0.quantity = 10
                        })
                    }
                }
                _ = try await ExportTests.define(second, fields: [("LotNo", "batch.number")], schedule: "monthly")

                // Both replicas answer from the one read model.
                for replica in [first, second] {
                    _ = try await ComplianceModelTests.await(replica, batch: "B-REP-3", until: ["A/CSR-AUTO-0847": "unsatisfied", "A/CSR-A-0300": "unsatisfied"])
                }
                let delivered = try await eventually({ try await ExportTests.deliveries(first) }, until: { $0.contains { $0.status == .delivered } })
                #expect(delivered.count == 1)
                let alerts = try await eventually({ try await AlertTests.alerts(second, customer: "A") }, until: { $0.count >= 6 })
                #expect(alerts.count == 6, "two per batch: \(alerts.map { "\($0.subject) \($0.requirementID)" })")

                try await first.postgres.asAdministrator(in: first.database.database) { connection in
                    // Each event once: the journal's count per feed is what each feed's cursor says was applied.
                    let rows = try await connection.query(
                        """
                        SELECT c.source, c.applied, (SELECT count(*) FROM reporting.feed_events e WHERE e.source = c.source)
                        FROM reporting.feed_cursors c ORDER BY c.source
                        """,
                        logger: .test
                    )
                    var sources: [String] = []
                    for try await (source, applied, journaled) in rows.decode((String, Int64, Int64).self) {
                        #expect(applied == journaled, "feed \(source): applied \(applied), journaled \(journaled)")
                        sources.append(source)
                    }
                    #expect(Set(sources).isSuperset(of: ["requirement", "batch", "evidence"]))
                    // Each export once: one export of the period, one revision, one delivery.
                    for (table, expected) in [("customer_exports", 1), ("export_revisions", 1), ("deliveries", 1)] as [(String, Int64)] {
                        let count = try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM reporting.\(table)"), logger: .test)
                        for try await value in count.decode(Int64.self) { #expect(value == expected, "\(table)") }
                    }
                    // Each alert once: never two open for one problem, never raised twice.
                    let twice = try await connection.query(
                        "SELECT count(*) FROM (SELECT 1 FROM reporting.alerts GROUP BY kind, subject, customer, requirement_id HAVING count(*) > 1) d",
                        logger: .test
                    )
                    for try await value in twice.decode(Int64.self) { #expect(value == 0) }
                    // Each piece of leased work has one holder.
                    let holders = try await connection.query("SELECT count(DISTINCT name), count(*) FROM reporting.work_leases", logger: .test)
                    for try await (names, leases) in holders.decode((Int64, Int64).self) { #expect(names == leases) }
                }
                let files = try FileManager.default.contentsOfDirectory(atPath: "\(drop)/A").filter { !$0.hasPrefix(".") }
                #expect(files.count == 1)
            }
        }
    }
}
