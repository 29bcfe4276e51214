import Foundation
import Testing

/// dev/backup.sh, the operators' backup and restore of one service's schema, round-tripped
/// through a real service and a real PostgreSQL.
@Suite("Backup and restore of a service's schema", .timeLimit(.minutes(5)))
struct BackupRestoreTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("dev/backup.sh").path

    func backupScript(_ action: String, database: String, file: String, postgres: TestPostgres) async throws {
        let result = try await ProcessRunner.run(
            Self.script,
            [action, "requirement", file],
            environment: [
                "CONFORM_PG_HOST": postgres.admin.host,
                "CONFORM_PG_PORT": "\(postgres.admin.port)",
                "CONFORM_PG_ADMIN_USER": postgres.admin.username,
                "CONFORM_PG_ADMIN_PASSWORD": postgres.admin.password ?? "",
                "CONFORM_PG_DATABASE": database,
            ]
        )
        #expect(result.status == 0, "dev/backup.sh \(action): \(result.output)")
    }

    @Test("a restored backup brings back the data and an intact audit trail, and drops what came after")
    func roundTrip() async throws {
        let postgres = try TestPostgres.fromEnvironment()
        let settings = try await postgres.makeServiceDatabase(suite: "backup")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("conform-backup-\(UUID().uuidString).dump").path
        defer { try? FileManager.default.removeItem(atPath: file) }

        try await withRequirementService(suite: "backup", existing: settings) { service in
            try await service.requirement { client in
                _ = try await client.createCustomer(CustomerTests.customerA())
                _ = try await client.createProduct(.with { $0.code = "ABC"; $0.name = "Bracket" })
            }
        }
        try await self.backupScript("backup", database: settings.database, file: file, postgres: postgres)

        try await withRequirementService(suite: "backup", existing: settings) { service in
            try await service.requirement { client in
                _ = try await client.createCustomer(.with { $0.code = "LATER"; $0.name = "After the backup"; $0.industry = .other })
            }
        }
        try await self.backupScript("restore", database: settings.database, file: file, postgres: postgres)

        try await withRequirementService(suite: "backup", existing: settings) { service in
            try await service.requirement { client in
                #expect(try await client.listCustomers(.init()).customers.map(\.code) == ["A"])
                #expect(try await client.getProduct(.with { $0.code = "ABC" }).name == "Bracket")
                // Writes still work: the restored tables keep their owner and grants.
                _ = try await client.createCustomer(.with { $0.code = "B"; $0.name = "Customer B"; $0.industry = .aerospace })
            }
            let verdict = try await service.auditTrail { try await $0.verify(.init()) }
            #expect(verdict.intact)
            #expect(try await service.events().map(\.subject) == ["customer:A", "product:ABC", "customer:B"])
        }
    }
}
