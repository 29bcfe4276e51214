import ConformProtos
import PostgresNIO
import Testing

@Suite("Audit trail verification", .timeLimit(.minutes(2)))
struct AuditTamperTests {
    /// Five calls' worth of entries, then `tamper` as a superuser, then verify.
    func verifyAfter(suite: String, _ tamper: String) async throws -> Conform_Audit_V1_VerifyAuditTrailResponse {
        try await withRequirementService(suite: suite) { service in
            try await service.requirement { client in
                _ = try await client.createCustomer(CustomerTests.customerA())
                _ = try await client.getCustomer(.with { $0.code = "A" })
                _ = try await client.listCustomers(.init())
            }
            let before = try await service.auditTrail { try await $0.verify(.init()) }
            #expect(before.intact)
            #expect(before.entriesChecked >= 4)
            try await service.postgres.asAdministrator(in: service.database.database) { connection in
                // A superuser can switch triggers off; the chain still gives it away.
                try await connection.query("SET session_replication_role = replica", logger: .test)
                try await connection.query(PostgresQuery(unsafeSQL: tamper), logger: .test)
            }
            return try await service.auditTrail { try await $0.verify(.init()) }
        }
    }

    @Test("an entry changed behind the service's back is found")
    func changedEntry() async throws {
        let verdict = try await self.verifyAfter(suite: "tamperupd", "UPDATE requirement.audit_trail SET principal = 'someone-else' WHERE sequence = 2")
        #expect(!verdict.intact)
        #expect(verdict.firstBrokenSequence == 2)
        #expect(verdict.problem.contains("changed after it was written"))
        #expect(verdict.entriesChecked == 1)
    }

    @Test("a deleted entry is found")
    func deletedEntry() async throws {
        let verdict = try await self.verifyAfter(suite: "tamperdel", "DELETE FROM requirement.audit_trail WHERE sequence = 3")
        #expect(!verdict.intact)
        #expect(verdict.firstBrokenSequence == 4)
        #expect(verdict.problem.contains("missing"))
    }

    @Test("an entry whose content and stored hash are both replaced is found")
    func replacedHash() async throws {
        let verdict = try await self.verifyAfter(
            suite: "tamperhash",
            "UPDATE requirement.audit_trail SET principal = 'x', hash = repeat('a', 64) WHERE sequence = 1"
        )
        #expect(!verdict.intact)
        #expect(verdict.firstBrokenSequence == 1)
    }
}
