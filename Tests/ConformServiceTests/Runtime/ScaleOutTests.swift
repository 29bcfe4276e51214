import ConformProtos
import ConformStorage
import GRPCCore
import PostgresNIO
import Synchronization
import Testing

@Suite("Scale out: no lock shared on the request path", .timeLimit(.minutes(5)))
struct ScaleOutTests {
    @Test("a live reader never skips an event whose transaction commits after later ones")
    func lateCommitIsNotSkipped() async throws {
        try await withRequirementService(suite: "feedlate") { service in
            try await service.sealed()
            let received = Received()
            try await service.withClient(tls: try ServicePKI.shared().principal("reporting").wireClient()) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await Conform_Events_V1_EventFeed.Client(wrapping: client).subscribe(.init()) { response in
                            for try await event in response.messages { received.append(event) }
                        }
                    }
                    try await service.postgres.asAdministrator(in: service.database.database) { late in
                        // An event inserted first, committed last: the case a feed numbered at
                        // insert loses, since readers pass its number before it is visible.
                        try await late.query("BEGIN", logger: .test)
                        try await late.query(
                            "INSERT INTO requirement.outbox (type, subject, payload, occurred_at_micros) VALUES ('test.late', 'test:late', '{}', 1)",
                            logger: .test
                        )
                        try await service.requirement { client in
                            for index in 0..<5 {
                                _ = try await client.createCustomer(.with { $0.code = "L\(index)"; $0.name = "Customer \(index)"; $0.industry = .other })
                            }
                        }
                        try await received.waitUntil("the reader has the five committed events") { events in
                            events.filter { $0.type == "customer.created" }.count == 5
                        }
                        try await late.query("COMMIT", logger: .test)
                    }
                    try await received.waitUntil("the reader has the late event") { events in
                        events.contains { $0.type == "test.late" }
                    }
                    group.cancelAll()
                }
            }
            let events = received.events.withLock { $0 }
            #expect(events.map(\.type).filter { $0 == "customer.created" }.count == 5)
            #expect(events.last?.type == "test.late")
            let cursors = events.compactMap { Int64($0.cursor) }
            #expect(cursors.count == events.count)
            #expect(cursors == Array((cursors.first ?? 1)..<((cursors.first ?? 1) + Int64(cursors.count))), "positions are contiguous and increasing")
        }
    }

    @Test("with a call held inside its transaction on one replica, calls on another replica complete")
    func heldCallDoesNotStopAnotherReplica() async throws {
        // The held import's statement waits while the other calls run: on a loaded machine
        // that took longer than the tests' 10 s statement timeout.
        try await withRequirementService(suite: "replicas", settings: { $0.statementTimeout = .seconds(120) }) { first in
            try await RequirementCatalogTests.seed(first)
            try await withRequirementService(suite: "replicas", postgres: first.postgres, existing: first.database) { second in
                try await first.postgres.asAdministrator(in: first.database.database) { holder in
                    // The test's uncommitted requirement makes the import's second insert wait
                    // for this transaction: the import is then inside its own transaction,
                    // with its first requirement written and its event published.
                    try await holder.query("BEGIN", logger: .test)
                    try await holder.query(
                        """
                        INSERT INTO requirement.requirements (customer, requirement_id, category, strength, scope_kind, created_at_micros, created_by)
                        VALUES ('B', 'CSR-B-0002', 'traceability', 'mandatory', 'all', 1, 'test')
                        """,
                        logger: .test
                    )
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await first.catalog { client in
                                _ = try await RequirementImportTests.runImport(client, [
                                    RequirementImportTests.entry("CSR-B-0001", versions: [RequirementCatalogTests.version("1.0", from: "2024-01-01")]),
                                    RequirementImportTests.entry("CSR-B-0002", versions: [RequirementCatalogTests.version("1.0", from: "2024-01-01")]),
                                ])
                            }
                        }
                        try await Self.waitUntil("the import waits inside its transaction") {
                            try await Self.importIsWaiting(holder)
                        }
                        var options = CallOptions.defaults
                        options.timeout = .seconds(5)
                        for replica in [second, first] {
                            try await replica.requirement { client in
                                _ = try await client.getCustomer(.with { $0.code = "A" }, options: options)
                                _ = try await client.listCustomers(.init(), options: options)
                                _ = try await client.createCustomer(
                                    .with { $0.code = "R\(replica.wirePort)"; $0.name = "Replica customer"; $0.industry = .other },
                                    metadata: ["idempotency-key": "replica-\(replica.wirePort)"],
                                    options: options
                                )
                            }
                        }
                        try await holder.query("ROLLBACK", logger: .test)
                        try await group.waitForAll()
                    }
                }
                try await second.catalog { client in
                    let ids = try await client.listRequirements(.with { $0.customer = "B" }).requirements.map(\.requirementID)
                    #expect(ids.contains("CSR-B-0001") && ids.contains("CSR-B-0002"))
                }
                try await second.sealed()
                try await first.sealed()
                let verdict = try await second.auditTrail { try await $0.verify(.init()) }
                #expect(verdict.intact, "\(verdict.problem)")
                #expect(verdict.unsealed <= 2)
            }
        }
    }

    /// Whether a connection of the service (any but this one's user) waits for a lock in this database.
    static func importIsWaiting(_ connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND usename <> current_user AND wait_event_type = 'Lock'
            """,
            logger: .test
        )
        for try await count in rows.decode(Int64.self) { return count > 0 }
        return false
    }

    /// Polls `condition` until it holds, failing after `limit`: for a state only the
    /// database shows (a backend waiting for a lock), which sends no notice of its own.
    static func waitUntil(_ what: String, within limit: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TestSetupError("timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// What a live reader has received so far, and a signal for each arrival.
private final class Received: Sendable {
    let events = Mutex<[Conform_Events_V1_Event]>([])
    private let arrived = ChangeSignal()

    func append(_ event: Conform_Events_V1_Event) {
        self.events.withLock { $0.append(event) }
        self.arrived.signal()
    }

    /// Returns once `condition` holds of what has arrived, woken by each arrival.
    func waitUntil(_ what: String, within limit: Duration = .seconds(10), _ condition: ([Conform_Events_V1_Event]) -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while true {
            let seen = self.arrived.generation
            if condition(self.events.withLock { $0 }) { return }
            guard ContinuousClock.now < deadline else { throw TestSetupError("timed out waiting until \(what)") }
            await self.arrived.wait(past: seen, atMost: deadline - ContinuousClock.now)
        }
    }
}
