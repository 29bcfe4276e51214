import ConformProtos
import ConformWire
import GRPCCore
import PostgresNIO
import Testing

@Suite("Authorization and the audit trail", .timeLimit(.minutes(5)))
struct AccessAuditTests {
    @Test("a principal without the role is denied, and the denial is in the audit trail")
    func wrongRole() async throws {
        try await withRequirementService(suite: "deny") { service in
            try await service.requirement(as: "operator") { client in
                let error = await #expect(throws: RPCError.self) { try await client.createCustomer(CustomerTests.customerA()) }
                #expect(error?.code == .permissionDenied)
                #expect(error?.message == "operator has role operator; conform.requirement.v1.RequirementService/CreateCustomer needs admin or quality-engineer")
            }
            let entries = try await service.auditEntries()
            let denial = try #require(entries.first { $0.outcome == .denied })
            #expect(denial.principal == "operator")
            #expect(denial.action == "conform.requirement.v1.RequirementService/CreateCustomer")
            #expect(denial.detailJson.contains("needs admin or quality-engineer"))
            #expect(!entries.contains { $0.outcome == .write })
        }
    }

    @Test("the trail is read by principal, RPC, outcome, time range and request id, sealed or not, and pages on")
    func filteredReads() async throws {
        try await withRequirementService(suite: "auditfilter") { service in
            try await service.requirement { client in
                _ = try await client.createCustomer(CustomerTests.customerA(), metadata: ["x-request-id": "made-A"])
                _ = try await client.listCustomers(.init(), metadata: ["x-request-id": "listed-1"])
                _ = try await client.listCustomers(.init(), metadata: ["x-request-id": "listed-2"])
            }
            try await service.requirement(as: "operator") { client in
                _ = await rpcError { try await client.createCustomer(CustomerTests.customerA(), metadata: ["x-request-id": "op-denied"]) }
            }
            try await service.sealed()
            func read(_ configure: (inout Conform_Audit_V1_ListAuditEntriesRequest) -> Void) async throws -> [Conform_Audit_V1_AuditEntry] {
                try await service.auditTrail { client in
                    try await client.listEntries(.with { $0.includeUnsealed = true; configure(&$0) }).entries
                }
            }
            let denied = try await read { $0.outcome = .denied }
            #expect(denied.map(\.requestID) == ["op-denied"])
            let byOperator = try await read { $0.principal = "operator" }
            #expect(!byOperator.isEmpty && byOperator.allSatisfy { $0.principal == "operator" })
            let lists = try await read { $0.action = "conform.requirement.v1.RequirementService/ListCustomers" }
            #expect(lists.map(\.requestID) == ["listed-1", "listed-2"])
            let made = try await read { $0.requestID = "made-A" }
            #expect(made.contains { $0.outcome == .write } && made.contains { $0.outcome == .succeeded })
            #expect(made.allSatisfy { $0.requestID == "made-A" })

            // Paging with a filter: one at a time, after the last sequence seen.
            let first = try await read { $0.action = lists[0].action; $0.limit = 1 }
            let second = try await read { $0.action = lists[0].action; $0.limit = 1; $0.afterSequence = first[0].sequence }
            #expect(first.map(\.requestID) == ["listed-1"] && second.map(\.requestID) == ["listed-2"])

            let everything = try await service.auditEntries()
            let cut = try #require(everything.first { $0.requestID == "listed-2" }).recordedAtMicros
            let before = try await read { $0.recordedUntilMicros = cut }
            let after = try await read { $0.recordedFromMicros = cut }
            // Reading the trail is itself audited, so later entries may have joined `after`.
            #expect(before.map(\.entryID) == everything.filter { $0.recordedAtMicros < cut }.map(\.entryID))
            #expect(Set(everything.filter { $0.recordedAtMicros >= cut }.map(\.entryID)).isSubset(of: Set(after.map(\.entryID))))
            #expect(before.allSatisfy { $0.recordedAtMicros < cut } && after.allSatisfy { $0.recordedAtMicros >= cut })

            let backwards = await rpcError { _ = try await read { $0.recordedFromMicros = cut; $0.recordedUntilMicros = cut - 1 } }
            #expect(backwards?.code == .invalidArgument)
            #expect(backwards?.message.contains("recorded_until_micros") == true)
        }
    }

    @Test("a caller without a certificate is refused in the TLS handshake, as on the HTTP/2 port, and adds nothing to the trail")
    func noCertificate() async throws {
        try await withRequirementService(suite: "nocert") { service in
            try await service.withClient(tls: try ServicePKI.shared().anonymous()) { client in
                let error = await rpcError {
                    try await RequirementClient(wrapping: client).listCustomers(.init(), metadata: ["x-request-id": "anon-1"])
                }
                #expect(error?.code == .unavailable)
                #expect(error?.message.contains("TLS") == true, "said: \(error?.message ?? "")")
            }
            #expect(try await service.auditEntries().contains { $0.requestID == "anon-1" } == false)
        }
    }

    @Test("a certificate from another CA never gets a call through")
    func foreignCertificate() async throws {
        try await withRequirementService(suite: "foreign") { service in
            var config = WireClientConfig()
            config.connectTimeout = .seconds(2)
            let transport = try ConformWireClientTransport(
                host: "127.0.0.1",
                port: service.wirePort,
                tls: try ServicePKI.shared().stranger.wireClient(),
                config: config
            )
            try await withGRPCClient(transport: transport) { client in
                var options = CallOptions.defaults
                options.timeout = .seconds(3)
                let error = await #expect(throws: RPCError.self) {
                    try await RequirementClient(wrapping: client).listCustomers(.init(), options: options)
                }
                #expect(error != nil)
            }
            #expect(try await service.auditEntries().allSatisfy { $0.principal != "mallory" })
        }
    }

    @Test("a write records its change and its call's outcome in its own transaction, with who, what and the request id")
    func writesAreAudited() async throws {
        try await withRequirementService(suite: "audwrite") { service in
            try await service.requirement { client in
                _ = try await client.createCustomer(CustomerTests.customerA(), metadata: ["x-request-id": "req-42"])
            }
            let entries = try await service.auditEntries().filter { $0.requestID == "req-42" }
            // One commit: the change, then the call that made it, and no entry before either.
            #expect(entries.map(\.outcome) == [.write, .succeeded])
            #expect(entries[1].object == "customer:A")
            #expect(try await Self.transactions(of: "req-42", in: service) == 1)
            let write = entries[0]
            #expect(write.principal == "quality-engineer")
            #expect(write.object == "customer:A")
            #expect(write.detailJson.contains("\"after\""))
            #expect(write.detailJson.contains("Customer A (Automotive OEM)"))
            #expect(write.recordedAtMicros % 1_000_000 != 0 || write.recordedAtMicros > 0)
        }
    }

    @Test("a call refused by a rule of the domain is recorded as refused, with its status code and reason")
    func refusalIsAudited() async throws {
        try await withRequirementService(suite: "audrefuse") { service in
            try await service.requirement { client in
                _ = try await client.createCustomer(CustomerTests.customerA())
                let error = await rpcError { try await client.createCustomer(CustomerTests.customerA(), metadata: ["x-request-id": "again-1"]) }
                #expect(error?.code == .alreadyExists)
                let invalid = await rpcError { try await client.getCustomer(.with { $0.code = "" }, metadata: ["x-request-id": "empty-1"]) }
                #expect(invalid?.code == .invalidArgument)
            }
            let entries = try await service.auditEntries()
            let again = entries.filter { $0.requestID == "again-1" }
            #expect(again.map(\.outcome) == [.refused])
            #expect(again.first?.detailJson.contains("ALREADY_EXISTS") == true)
            #expect(again.first?.detailJson.contains("already exists") == true)
            let empty = entries.filter { $0.requestID == "empty-1" }
            #expect(empty.map(\.outcome) == [.refused])
            #expect(empty.first?.detailJson.contains("INVALID_ARGUMENT") == true)
        }
    }

    @Test("a read is recorded once, as succeeded")
    func readIsAudited() async throws {
        try await withRequirementService(suite: "audread") { service in
            try await service.requirement { client in
                _ = try await client.createCustomer(CustomerTests.customerA())
                _ = try await client.getCustomer(.with { $0.code = "A" }, metadata: ["x-request-id": "read-1"])
            }
            let entries = try await service.auditEntries().filter { $0.requestID == "read-1" }
            #expect(entries.map(\.outcome) == [.succeeded])
            #expect(entries.first?.principal == "quality-engineer")
            #expect(entries.first?.action == "conform.requirement.v1.RequirementService/GetCustomer")
        }
    }

    @Test("calls in flight together are each recorded exactly once")
    func concurrentCallsEachRecorded() async throws {
        try await withRequirementService(suite: "audmany") { service in
            try await service.requirement { client in
                _ = try await client.createCustomer(CustomerTests.customerA())
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<40 {
                        group.addTask { _ = try await client.getCustomer(.with { $0.code = "A" }, metadata: ["x-request-id": "many-\(index)"]) }
                    }
                    try await group.waitForAll()
                }
            }
            let ids = try await service.auditEntries().map(\.requestID).filter { $0.hasPrefix("many-") }
            #expect(ids.sorted() == (0..<40).map { "many-\($0)" }.sorted())
        }
    }

    /// How many transactions wrote the entries of request `requestID` (read as a superuser).
    static func transactions(of requestID: String, in service: RunningService) async throws -> Int {
        try await service.postgres.asAdministrator(in: service.database.database) { connection in
            for try await count in try await connection.query(
                "SELECT count(DISTINCT txid)::bigint FROM requirement.audit_trail WHERE request_id = \(requestID)", logger: .test
            ).decode(Int64.self) {
                return Int(count)
            }
            return 0
        }
    }

    @Test("the service's own role can append to its audit trail but not change, delete or truncate it")
    func appendOnlyForTheService() async throws {
        try await withRequirementService(suite: "appendonly") { service in
            try await service.requirement { client in _ = try await client.listCustomers(.init()) }
            let database = service.database
            let configuration = PostgresConnection.Configuration(
                host: database.host, port: database.port, username: database.username, password: database.password,
                database: database.database, tls: .disable
            )
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: .test)
            try await service.sealed()
            for statement in [
                "UPDATE requirement.audit_trail SET principal = 'nobody'",
                "DELETE FROM requirement.audit_trail",
                "TRUNCATE requirement.audit_trail",
                "DROP TABLE requirement.audit_trail",
                "ALTER TABLE requirement.audit_trail DISABLE TRIGGER audit_trail_no_change",
                "UPDATE requirement.audit_seals SET hash = repeat('0', 64)",
                "DELETE FROM requirement.audit_seals",
                "TRUNCATE requirement.audit_seals",
                "DELETE FROM requirement.audit_checkpoints",
                "UPDATE requirement.audit_checkpoints SET size = 1",
                "DROP TABLE requirement.audit_checkpoints",
            ] {
                await #expect(throws: PSQLError.self, "\(statement) must be refused") {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: .test)
                }
            }
            try await connection.close()
            let verdict = try await service.auditTrail { try await $0.verify(.init()) }
            #expect(verdict.intact)
        }
    }
}
