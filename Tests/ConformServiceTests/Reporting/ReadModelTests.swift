import ConformProtos
import ConformService
import ConformWire
import Foundation
import GRPCCore
import ReportingService
import Testing

@Suite("The reporting read model", .timeLimit(.minutes(3)))
struct ReadModelTests {
    static func createBatches(_ batch: RunningService, from first: Int, count: Int) async throws {
        try await batch.withClient(tls: try ServicePKI.shared().principal("operator").wireClient()) { client in
            let batches = BatchClient(wrapping: client)
            for index in first..<(first + count) {
                _ = try await batches.createBatch(.with {
                    $0.number = "RM-\(index)"; $0.product = "ABC"; $0.customer = "D"; $0.manufactureDate = "2025-03-10"; $0.quantity = 1
                })
            }
        }
    }

    static func status(_ reporting: RunningService) async throws -> Conform_Reporting_V1_FeedStatusResponse {
        try await reporting.withClient(tls: try ServicePKI.shared().principal("auditor").wireClient()) { client in
            try await Conform_Reporting_V1_ReportingService.Client(wrapping: client).feedStatus(.init())
        }
    }

    @Test("every feed is read once: restarting reporting and a producer mid-stream loses and double-counts nothing")
    func survivesRestarts() async throws {
        let pki = try ServicePKI.shared()
        let ports = try FreePorts.take(5)
        let addresses: [PeerService: PeerAddress] = [
            .requirement: PeerAddress(host: "127.0.0.1", port: ports[0]), .batch: PeerAddress(host: "127.0.0.1", port: ports[1]),
            .evidence: PeerAddress(host: "127.0.0.1", port: ports[2]), .supplier: PeerAddress(host: "127.0.0.1", port: ports[3]),
        ]
        let postgres = try TestPostgres.fromEnvironment()
        let batchDatabase = try await postgres.makeServiceDatabase(suite: "readmodel", service: "batch")
        let reportingDatabase = try await postgres.makeServiceDatabase(suite: "readmodel", service: "reporting")
        func batchService<R: Sendable>(_ body: (RunningService) async throws -> R) async throws -> R {
            try await withRequirementService(
                suite: "readmodel", definition: .batch, existing: batchDatabase, wirePort: ports[1], peerAddresses: addresses, tls: pki.services["batch"], body
            )
        }
        func reportingService<R: Sendable>(_ body: (RunningService) async throws -> R) async throws -> R {
            try await withRequirementService(
                suite: "readmodel", definition: .reporting, existing: reportingDatabase, wirePort: ports[4], peerAddresses: addresses, tls: pki.services["reporting"], body
            )
        }
        try await withRequirementService(suite: "readmodel", wirePort: ports[0], tls: pki.services["requirement"]) { requirement in
            try await requirement.requirement { client in
                _ = try await client.createCustomer(.with { $0.code = "D"; $0.name = "Customer D"; $0.industry = .medicalDevice })
                _ = try await client.createProduct(.with { $0.code = "ABC"; $0.name = "Bracket"; $0.family = "BRACKETS" })
            }
            try await requirement.catalog { client in
                _ = try await client.linkProduct(.with { $0.customer = "D"; $0.product = "ABC" })
            }
            try await batchService { batch in
                // Reporting reads while batches are made, and stops part way.
                try await reportingService { _ in
                    try await Self.createBatches(batch, from: 0, count: 15)
                }
                // Made while reporting is down.
                try await Self.createBatches(batch, from: 15, count: 10)
            }
            // The producer restarts; reporting restarts and catches up.
            try await batchService { batch in
                try await reportingService { reporting in
                    try await Self.createBatches(batch, from: 25, count: 5)
                    let produced = try await batch.events().count
                    let requirementEvents = try await requirement.events().count
                    #expect(produced == 30)
                    func caughtUp(_ status: Conform_Reporting_V1_FeedStatusResponse) -> Bool {
                        status.feeds.first { $0.source == "batch" }?.applied ?? 0 >= UInt64(produced)
                            && status.feeds.first { $0.source == "requirement" }?.applied ?? 0 >= UInt64(requirementEvents)
                    }
                    let deadline = ContinuousClock.now + .seconds(30)
                    var status = try await Self.status(reporting)
                    while !caughtUp(status), ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(200))
                        status = try await Self.status(reporting)
                    }
                    let feed = status.feeds.first { $0.source == "batch" }
                    #expect(feed?.applied == UInt64(produced))
                    #expect(feed?.problem == "")
                    #expect(status.batchesOpen == 30)
                    // The requirement service's feed is read too; the services that are not running are reported.
                    #expect(status.feeds.first { $0.source == "requirement" }?.applied == UInt64(requirementEvents))
                    #expect(status.feeds.first { $0.source == "evidence" }?.problem.isEmpty == false)
                    // And nothing twice: the journal holds exactly what was produced.
                    let journaled = try await reporting.host.database.read(logger: .test) { connection in
                        let rows = try await connection.query("SELECT count(*), count(DISTINCT cursor) FROM feed_events WHERE source = 'batch'", logger: .test)
                        for try await (all, distinct) in rows.decode((Int, Int).self) { return (all, distinct) }
                        return (0, 0)
                    }
                    #expect(journaled.0 == produced)
                    #expect(journaled.1 == produced)
                }
            }
        }
    }
}

@Suite("The reporting read model follows batch compliance", .timeLimit(.minutes(5)))
struct ComplianceModelTests {
    /// What the read model holds for a batch: requirement -> state.
    static func states(_ reporting: RunningService, batch: String) async throws -> [String: String] {
        try await reporting.host.database.read(logger: .test) { connection in
            let rows = try await connection.query(
                "SELECT customer || '/' || requirement_id, state FROM batch_compliance WHERE batch = \(batch)", logger: .test
            )
            var states: [String: String] = [:]
            for try await (requirement, state) in rows.decode((String, String).self) { states[requirement] = state }
            return states
        }
    }

    static func await(_ reporting: RunningService, batch: String, until wanted: [String: String]) async throws -> [String: String] {
        let deadline = ContinuousClock.now + .seconds(30)
        var states = try await Self.states(reporting, batch: batch)
        while states != wanted, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            states = try await Self.states(reporting, batch: batch)
        }
        return states
    }

    @Test("a batch's compliance per requirement is read again when evidence or a signature arrives for it")
    func followsEvidence() async throws {
        try await withServiceStack(suite: "compliance_model", reporting: true) { stack in
            let reporting = try #require(stack.reporting)
            try await BatchScenario.seed(stack)
            let batch = try await stack.batches { client in
                try await client.createBatch(.with { $0.number = "B-RM-1"; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = "2025-03-02"; $0.quantity = 2 })
            }
            let created = try await Self.await(reporting, batch: "B-RM-1", until: ["A/CSR-AUTO-0847": "unsatisfied", "A/CSR-A-0300": "unsatisfied"])
            #expect(created == ["A/CSR-AUTO-0847": "unsatisfied", "A/CSR-A-0300": "unsatisfied"])

            // The CoA, its signature (on the item: found through the item's batch) and the record field.
            let item = try await stack.evidence { client in
                try await BatchScenario.upload(client, batch: "B-RM-1", metadata: BatchScenario.fullCoA)
            }
            _ = try await stack.evidence(as: "quality-engineer") { client in
                try await BatchScenario.sign(client, target: "evidence:\(item.id)", digest: "sha256:\(item.sha256)", meaning: .approved, as: "quality-engineer")
            }
            _ = try await stack.batches { client in
                try await client.recordFields(.with { $0.number = batch.number; $0.values = ["smelter-production-date": "2025-01-03"] })
            }
            let satisfied = try await Self.await(reporting, batch: "B-RM-1", until: ["A/CSR-AUTO-0847": "satisfied", "A/CSR-A-0300": "unsatisfied"])
            #expect(satisfied == ["A/CSR-AUTO-0847": "satisfied", "A/CSR-A-0300": "unsatisfied"])
        }
    }
}

@Suite("Dashboards from the read model", .timeLimit(.minutes(5)))
struct DashboardTests {
    static func dashboard(_ reporting: RunningService, customer: String = "", product: String = "", as name: String = "quality-manager") async throws -> Conform_Reporting_V1_DashboardResponse {
        try await reporting.withClient(tls: try ServicePKI.shared().principal(name).wireClient()) { client in
            try await Conform_Reporting_V1_ReportingService.Client(wrapping: client).getDashboard(.with { $0.customer = customer; $0.product = product })
        }
    }

    @Test("red while a mandatory requirement is missed, amber when only a preferred one is; a customer's auditor sees only its own customer")
    func customerDashboard() async throws {
        try await withServiceStack(suite: "dashboard", reporting: true) { stack in
            let reporting = try #require(stack.reporting)
            try await BatchScenario.seed(stack)
            let batch = try await stack.batches { client in
                try await client.createBatch(.with { $0.number = "B-DB-1"; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = "2025-03-02"; $0.quantity = 2 })
            }
            _ = try await ComplianceModelTests.await(reporting, batch: "B-DB-1", until: ["A/CSR-AUTO-0847": "unsatisfied", "A/CSR-A-0300": "unsatisfied"])
            let red = try await Self.dashboard(reporting, customer: "A")
            #expect(red.status == .red)
            #expect(red.statusReason == "1 active batch(es) miss a mandatory requirement")
            #expect(red.activeBatches == 1)
            #expect(red.requirements.map { "\($0.requirementID) \($0.compliant)/\($0.nonCompliant)" } == ["CSR-A-0300 0/1", "CSR-AUTO-0847 0/1"])
            let coa = red.nonCompliant.first { $0.requirementID == "CSR-AUTO-0847" }
            #expect(coa?.batch == "B-DB-1")
            #expect((coa?.daysOverdue ?? 0) >= 600)
            #expect(coa?.missing.contains { $0.contains("certificate-of-analysis") } == true)

            let item = try await stack.evidence { client in try await BatchScenario.upload(client, batch: "B-DB-1", metadata: BatchScenario.fullCoA) }
            _ = try await stack.evidence(as: "quality-engineer") { client in
                try await BatchScenario.sign(client, target: "evidence:\(item.id)", digest: "sha256:\(item.sha256)", meaning: .approved, as: "quality-engineer")
            }
            _ = try await stack.batches { client in
                try await client.recordFields(.with { $0.number = batch.number; $0.values = ["smelter-production-date": "2025-01-03"] })
            }
            _ = try await ComplianceModelTests.await(reporting, batch: "B-DB-1", until: ["A/CSR-AUTO-0847": "satisfied", "A/CSR-A-0300": "unsatisfied"])
            let amber = try await Self.dashboard(reporting, product: "FAST-M8")
            #expect(amber.status == .amber)
            #expect(amber.statusReason == "1 active batch(es) miss a preferred requirement")

            let own = try await Self.dashboard(reporting, customer: "A", as: "customer-a-auditor")
            #expect(own.activeBatches == 1)
            let other = await rpcError { try await Self.dashboard(reporting, customer: "D", as: "customer-a-auditor") }
            #expect(other?.code == .permissionDenied)
            let byProduct = await rpcError { try await Self.dashboard(reporting, product: "FAST-M8", as: "customer-a-auditor") }
            #expect(byProduct?.code == .permissionDenied)
            // Both refusals are audited.
            let denials = try await reporting.auditEntries().filter { $0.principal == "customer-a-auditor" && $0.outcome == .denied }
            #expect(denials.map(\.object).sorted() == ["customer:D", "product:FAST-M8"])
        }
    }

    @Test("an unknown customer is NOT_FOUND on dashboards, alerts and audit reports, not a green, empty answer")
    func unknownCustomer() async throws {
        try await withServiceStack(suite: "reporting_unknown_customer", reporting: true) { stack in
            let reporting = try #require(stack.reporting)
            try await BatchScenario.seed(stack)
            let dashboard = await rpcError { try await Self.dashboard(reporting, customer: "ZZ") }
            #expect(dashboard?.code == .notFound)
            #expect(dashboard?.message.hasPrefix("no customer ZZ (customer)") == true)
            #expect(await rpcError { try await AlertTests.alerts(reporting, customer: "ZZ") }?.code == .notFound)
            #expect(await rpcError { _ = try await AuditReportTests.report(reporting) { $0.customer = "ZZ" } }?.code == .notFound)
            // Nor is an unknown product's dashboard green, nor an unknown customer's exports an empty list.
            let product = await rpcError { try await Self.dashboard(reporting, product: "ZZ") }
            #expect(product?.code == .notFound)
            #expect(product?.message.hasPrefix("no product ZZ (product)") == true)
            #expect(await rpcError { try await reportingCall(reporting) { client in try await client.listExports(.with { $0.customer = "ZZ" }) } }?.code == .notFound)
            // A customer with no batches, whether or not the feed has shown it yet, has an empty dashboard.
            #expect(try await Self.dashboard(reporting, customer: "D").activeBatches == 0)
            #expect(try await AlertTests.alerts(reporting, customer: "D").isEmpty)
            // A customer's principal learns nothing about codes outside its scope.
            let probe = await rpcError { try await Self.dashboard(reporting, customer: "ZZ", as: "customer-a-auditor") }
            #expect(probe?.code == .permissionDenied)
        }
    }
}
