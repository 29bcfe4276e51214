import ConformService
import ConformStorage
import PostgresNIO
import RequirementService
import Testing

@Suite("Migrations", .timeLimit(.minutes(5)))
struct MigrationTests {
    @Test("migrations apply once, in order, and are recorded")
    func applyOnce() async throws {
        let postgres = try TestPostgres.fromEnvironment()
        let settings = try await postgres.makeServiceDatabase(suite: "migrate")
        let database = Database(settings: settings, logger: .test)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            let migrator = Migrator(migrations: ServiceDefinition.requirement.allMigrations)
            let all = Array(1...migrator.latestVersion)
            #expect(try await migrator.migrate(database, logger: .test) == all)
            #expect(try await migrator.migrate(database, logger: .test) == [])
            let versions = try await database.read(logger: .test) { connection in
                var versions: [Int] = []
                for try await version in try await connection.query("SELECT version FROM schema_migrations ORDER BY version", logger: .test).decode(Int.self) {
                    versions.append(version)
                }
                return versions
            }
            #expect(versions == all)
            group.cancelAll()
        }
    }

    @Test("a schema newer than the build is refused with a message saying what to do")
    func newerSchemaRefused() async throws {
        let postgres = try TestPostgres.fromEnvironment()
        let settings = try await postgres.makeServiceDatabase(suite: "migratenew")
        let database = Database(settings: settings, logger: .test)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            let migrator = Migrator(migrations: ServiceDefinition.requirement.allMigrations)
            try await migrator.migrate(database, logger: .test)
            _ = try await database.transaction(logger: .test) { connection in
                try await connection.query("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')", logger: .test)
            }
            let error = await #expect(throws: MigrationError.self) { try await migrator.migrate(database, logger: .test) }
            #expect(error?.description.contains("version 99, newer than this build knows (\(migrator.latestVersion))") == true)
            group.cancelAll()
        }
    }

    @Test("a failing migration leaves the schema as it was")
    func failingMigrationRollsBack() async throws {
        let postgres = try TestPostgres.fromEnvironment()
        let settings = try await postgres.makeServiceDatabase(suite: "migratefail")
        let database = Database(settings: settings, logger: .test)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            let broken = Migrator(migrations: [
                SharedMigrations.outboxAndIdempotency,
                Migration(version: 2, name: "half good", statements: ["CREATE TABLE good (id int)", "CREATE TABLE bad (id nonsense_type)"]),
            ])
            let error = await #expect(throws: MigrationError.self) { try await broken.migrate(database, logger: .test) }
            #expect(error?.description.contains("migration 2 (half good) failed") == true)
            let tables = try await database.read(logger: .test) { connection in
                var names: [String] = []
                for try await name in try await connection.query(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'requirement' ORDER BY 1",
                    logger: .test
                ).decode(String.self) {
                    names.append(name)
                }
                return names
            }
            #expect(tables == ["audit_checkpoints", "audit_seals", "audit_trail"])
            group.cancelAll()
        }
    }
}

@Suite("The audit trail's earlier shape", .timeLimit(.minutes(5)))
struct AuditTrailUpgradeTests {
    @Test("a trail chained under the earlier single-table shape is carried over whole, and new entries chain on from it")
    func earlierShapeCarriedOver() async throws {
        let postgres = try TestPostgres.fromEnvironment()
        let settings = try await postgres.makeServiceDatabase(suite: "auditv1")
        // The shape before sealing: entries numbered and hashed as they were written.
        var previous = AuditChain.genesis
        var rows: [String] = []
        for sequence in Int64(1)...3 {
            let record = AuditRecord(principal: "before-\(sequence)", action: "old/Call", outcome: .allowed, requestID: "old-\(sequence)")
            let hash = AuditChain.hash(sequence: sequence, recordedAtMicros: sequence * 1_000, record: record, previousHash: previous)
            rows.append("(\(sequence), \(sequence * 1_000), 'before-\(sequence)', 'old/Call', 'allowed', '', '{}', 'old-\(sequence)', '\(previous)', '\(hash)')")
            previous = hash
        }
        try await postgres.asAdministrator(in: settings.database) { connection in
            for statement in [
                "DROP TABLE requirement.audit_checkpoints, requirement.audit_seals, requirement.audit_trail",
                "DROP SEQUENCE requirement.audit_entry_ids",
                """
                CREATE TABLE requirement.audit_trail (
                    sequence bigint PRIMARY KEY, recorded_at_micros bigint NOT NULL, principal text NOT NULL, action text NOT NULL,
                    outcome text NOT NULL, object text NOT NULL, detail text NOT NULL, request_id text NOT NULL,
                    previous_hash text NOT NULL, hash text NOT NULL
                )
                """,
                "INSERT INTO requirement.audit_trail VALUES \(rows.joined(separator: ", "))",
            ] {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: .test)
            }
        }
        try await DatabaseAdministration.provision(
            [try Provisioning(schema: "requirement", role: settings.username, password: settings.password ?? "")],
            in: settings.database, as: postgres.admin, logger: .test
        )
        try await withRequirementService(suite: "auditv1", postgres: postgres, existing: settings) { service in
            try await service.requirement { client in _ = try await client.listCustomers(.init()) }
            try await service.sealed()
            let entries = try await service.auditEntries()
            #expect(entries.prefix(3).map(\.principal) == ["before-1", "before-2", "before-3"])
            #expect(entries.prefix(3).map(\.sequence) == [1, 2, 3])
            // The call after the upgrade is sealed after the carried-over entries (the listing's own may not be yet).
            let listCustomers = try #require(entries.first { $0.action.hasSuffix("/ListCustomers") })
            #expect(listCustomers.sealed && listCustomers.sequence == 4)
            let verdict = try await service.auditTrail { try await $0.verify(.init()) }
            #expect(verdict.intact, "\(verdict.problem)")
            #expect(verdict.entriesChecked >= 4)
        }
    }
}
