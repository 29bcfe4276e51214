import ConformService
import ConformStorage
import PostgresNIO
import RequirementService
import Testing

@Suite("Migrations", .timeLimit(.minutes(2)))
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
            #expect(tables == ["audit_trail"])
            group.cancelAll()
        }
    }
}
