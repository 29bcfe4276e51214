import ConformProtos
import ConformStorage
import PostgresNIO
import Testing

@Suite("Audit trail verification", .timeLimit(.minutes(5)))
struct AuditTamperTests {
    /// Four entries from three calls (a write's two, two reads'), sealed, then `tamper` as a superuser, then verify.
    func verifyAfter(suite: String, _ tamper: String...) async throws -> Conform_Audit_V1_VerifyAuditTrailResponse {
        try await withRequirementService(suite: suite) { service in
            try await Self.threeCalls(service)
            let before = try await service.auditTrail { try await $0.verify(.init()) }
            #expect(before.intact)
            #expect(before.entriesChecked >= 4)
            try await service.asSuperuser(tamper)
            return try await service.auditTrail { try await $0.verify(.init()) }
        }
    }

    /// Checkpoints after every round that seals something, so a test need not wait for the interval.
    static let checkpointEveryRound = ["CONFORM_AUDIT_CHECKPOINT_MS": "0"]

    static func threeCalls(_ service: RunningService) async throws {
        try await service.requirement { client in
            _ = try await client.createCustomer(CustomerTests.customerA())
            _ = try await client.getCustomer(.with { $0.code = "A" })
            _ = try await client.listCustomers(.init())
        }
        try await service.sealed()
    }

    @Test("an entry changed behind the service's back is found")
    func changedEntry() async throws {
        let verdict = try await self.verifyAfter(
            suite: "tamperupd",
            "UPDATE requirement.audit_trail SET principal = 'someone-else' WHERE entry_id = (SELECT entry_id FROM requirement.audit_seals WHERE sequence = 2)"
        )
        #expect(!verdict.intact)
        #expect(verdict.firstBrokenSequence == 2)
        #expect(verdict.problem.contains("changed after it was written"))
        #expect(verdict.entriesChecked == 1)
    }

    @Test("a sealed entry deleted is found")
    func deletedEntry() async throws {
        let verdict = try await self.verifyAfter(
            suite: "tamperdel",
            "DELETE FROM requirement.audit_trail WHERE entry_id = (SELECT entry_id FROM requirement.audit_seals WHERE sequence = 3)"
        )
        #expect(!verdict.intact)
        #expect(verdict.firstBrokenSequence == 3)
        #expect(verdict.problem.contains("deleted after it was sealed"))
    }

    @Test("a seal deleted from the chain is found")
    func deletedSeal() async throws {
        let verdict = try await self.verifyAfter(suite: "tamperseal", "DELETE FROM requirement.audit_seals WHERE sequence = 3")
        #expect(!verdict.intact)
        #expect(verdict.firstBrokenSequence == 4)
        #expect(verdict.problem.contains("missing"))
    }

    @Test("entries swapped in the chain are found")
    func reordered() async throws {
        try await withRequirementService(suite: "tamperswap") { service in
            try await Self.threeCalls(service)
            let ids = try await service.postgres.asAdministrator(in: service.database.database) { connection in
                var ids: [Int64] = []
                for try await id in try await connection.query(
                    "SELECT entry_id FROM requirement.audit_seals WHERE sequence IN (2, 3) ORDER BY sequence", logger: .test
                ).decode(Int64.self) {
                    ids.append(id)
                }
                return ids
            }
            try await service.asSuperuser(
                "UPDATE requirement.audit_seals SET entry_id = -1 WHERE sequence = 2",
                "UPDATE requirement.audit_seals SET entry_id = \(ids[0]) WHERE sequence = 3",
                "UPDATE requirement.audit_seals SET entry_id = \(ids[1]) WHERE sequence = 2"
            )
            let verdict = try await service.auditTrail { try await $0.verify(.init()) }
            #expect(!verdict.intact)
            #expect(verdict.firstBrokenSequence == 2)
        }
    }

    @Test("an entry whose content and sealed hash are both replaced is found")
    func replacedHash() async throws {
        let verdict = try await self.verifyAfter(
            suite: "tamperhash",
            "UPDATE requirement.audit_trail SET principal = 'x' WHERE entry_id = (SELECT entry_id FROM requirement.audit_seals WHERE sequence = 1)",
            "UPDATE requirement.audit_seals SET hash = repeat('a', 64) WHERE sequence = 1"
        )
        #expect(!verdict.intact)
        #expect(verdict.firstBrokenSequence == 1)
    }

    @Test("a chain rewritten with every hash recomputed is caught by the signed checkpoint")
    func rewrittenChain() async throws {
        try await withRequirementService(suite: "tamperrewrite", environment: Self.checkpointEveryRound) { service in
            try await Self.threeCalls(service)
            // The service's sealer signs the head at its next round (this test sealed the last
            // entries itself, without signing).
            try await ScaleOutTests.waitUntil("the service's sealer has signed the whole chain") {
                try await service.auditTrail { try await $0.getCheckpoint(.init()) }.size >= 4
            }
            let checkpoint = try await service.auditTrail { try await $0.getCheckpoint(.init()) }
            #expect(checkpoint.size >= 4)
            #expect(checkpoint.schema == "requirement")
            let before = try await service.auditTrail { try await $0.verify(.init()) }
            #expect(before.intact)
            #expect(before.checkpointsChecked >= 1)
            // A superuser changes entry 2 and recomputes every seal from it on, as only someone
            // who knows the hash recipe can: the links all hold, the signed head does not.
            try await service.postgres.asAdministrator(in: service.database.database) { connection in
                try await connection.query("SET session_replication_role = replica", logger: .test)
                try await connection.query(
                    "UPDATE requirement.audit_trail SET principal = 'someone-else' WHERE entry_id = (SELECT entry_id FROM requirement.audit_seals WHERE sequence = 2)",
                    logger: .test
                )
                let rows = try await connection.query(
                    """
                    SELECT s.sequence, t.recorded_at_micros, t.principal, t.action, t.outcome, t.object, t.detail, t.request_id
                    FROM requirement.audit_seals s JOIN requirement.audit_trail t USING (entry_id) ORDER BY s.sequence
                    """,
                    logger: .test
                )
                var previous = AuditChain.genesis
                var rewritten: [(Int64, String, String)] = []
                for try await (sequence, micros, principal, action, outcome, object, detail, requestID) in rows.decode(
                    (Int64, Int64, String, String, String, String, String, String).self
                ) {
                    let record = AuditRecord(
                        principal: principal, action: action, outcome: AuditRecord.Outcome(rawValue: outcome), object: object, detail: detail, requestID: requestID
                    )
                    let hash = AuditChain.hash(sequence: sequence, recordedAtMicros: micros, record: record, previousHash: previous)
                    rewritten.append((sequence, previous, hash))
                    previous = hash
                }
                for (sequence, previousHash, hash) in rewritten {
                    try await connection.query(
                        "UPDATE requirement.audit_seals SET previous_hash = \(previousHash), hash = \(hash) WHERE sequence = \(sequence)",
                        logger: .test
                    )
                }
            }
            let after = try await service.auditTrail { try await $0.verify(.init()) }
            #expect(!after.intact)
            #expect(after.firstBrokenSequence == checkpoint.size || after.firstBrokenSequence < checkpoint.size)
            #expect(after.problem.contains("rewritten after it was signed"))
        }
    }

    @Test("an entry deleted before it was sealed is reported as a gap")
    func deletedBeforeSealing() async throws {
        try await withRequirementService(suite: "tampergap", environment: ["CONFORM_AUDIT_SEALING_DEADLINE_MS": "0"]) { service in
            try await Self.threeCalls(service)
            // Holding the sealer's own lock keeps it from sealing, so the next call's entry
            // waits unsealed while a superuser deletes it.
            let doomed = try await service.postgres.asAdministrator(in: service.database.database) { holder in
                try await holder.query("SELECT pg_advisory_lock(hashtext('requirement.sealer'))", logger: .test)
                try await service.requirement { client in
                    _ = try await client.getCustomer(.with { $0.code = "A" }, metadata: ["x-request-id": "doomed-1"])
                }
                let doomed = try #require(try await service.auditEntries().first { $0.requestID == "doomed-1" })
                #expect(!doomed.sealed)
                try await service.asSuperuser("DELETE FROM requirement.audit_trail WHERE entry_id = \(doomed.entryID)")
                try await holder.query("SELECT pg_advisory_unlock(hashtext('requirement.sealer'))", logger: .test)
                return doomed
            }
            try await service.sealed()
            let verdict = try await service.auditTrail { try await $0.verify(.init()) }
            #expect(!verdict.intact)
            #expect(verdict.gaps.contains { $0.firstEntryID <= doomed.entryID && doomed.entryID <= $0.lastEntryID })
            #expect(verdict.problem.contains("not in the trail"))
            #expect(verdict.firstBrokenSequence == 0)
        }
    }

    @Test("a resumed verification starts at the last verified checkpoint and still finds what follows it")
    func resumed() async throws {
        try await withRequirementService(suite: "auditresume", environment: Self.checkpointEveryRound) { service in
            try await Self.threeCalls(service)
            let full = try await service.auditTrail { try await $0.verify(.init()) }
            #expect(full.intact)
            #expect(full.resumedFromSequence == 0)
            try await service.requirement { client in
                _ = try await client.listCustomers(.init())
            }
            try await service.sealed()
            let resumed = try await service.auditTrail { try await $0.verify(.with { $0.resume = true }) }
            #expect(resumed.intact)
            #expect(resumed.resumedFromSequence > 0)
            #expect(resumed.entriesChecked < resumed.headSequence)
            try await service.asSuperuser(
                "UPDATE requirement.audit_trail SET principal = 'someone-else' WHERE entry_id = (SELECT entry_id FROM requirement.audit_seals ORDER BY sequence DESC LIMIT 1)"
            )
            let caught = try await service.auditTrail { try await $0.verify(.with { $0.resume = true }) }
            #expect(!caught.intact)
            #expect(caught.problem.contains("changed after it was written"))
        }
    }
}

extension RunningService {
    /// Runs `sql` as a superuser with triggers off: what only someone behind the service's back can do.
    func asSuperuser(_ statements: String...) async throws {
        try await self.asSuperuser(statements)
    }

    func asSuperuser(_ statements: [String]) async throws {
        try await self.postgres.asAdministrator(in: self.database.database) { connection in
            try await connection.query("SET session_replication_role = replica", logger: .test)
            // One transaction: the service's sealer must not see a half-done tampering (an
            // entry whose seal was moved looks unsealed, and would be sealed again).
            try await connection.query("BEGIN", logger: .test)
            for sql in statements {
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: .test)
            }
            try await connection.query("COMMIT", logger: .test)
            try await connection.query("SET session_replication_role = DEFAULT", logger: .test)
        }
    }
}
