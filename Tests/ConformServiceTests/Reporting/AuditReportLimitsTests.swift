import ConformProtos
import Foundation
import GRPCCore
import PostgresNIO
import Testing

/// What one replica spends on audit reports is bounded: how many at once, and how long each.
@Suite("Audit report limits", .timeLimit(.minutes(5)))
struct AuditReportLimitsTests {
    static let batches = 2_000
    static let itemsPerBatch = 10

    /// Batches of customer A made in the last 30 days, each with items whose long file names
    /// make the archive (18 MB) larger than the wire's 1 MiB window and every socket buffer
    /// between the service and PostgreSQL: a caller that stops reading stops the query.
    static func seedLargeArchive(_ reporting: RunningService) async throws {
        do {
            try await self.insertLargeArchive(reporting)
        } catch let error as PSQLError {
            throw TestSetupError("seeding the archive failed: \(String(reflecting: error))")
        }
    }

    private static func insertLargeArchive(_ reporting: RunningService) async throws {
        try await reporting.postgres.asAdministrator(in: reporting.database.database) { connection in
            try await connection.query(
                """
                INSERT INTO reporting.batch_summaries (number, customer, product, status, manufacture_date, updated_at_micros, evaluated_at_micros)
                SELECT 'LIMIT-' || i, 'A', 'FAST-M8', 'released', (now() AT TIME ZONE 'UTC')::date - (i % 20)::int, 0, 1
                FROM generate_series(1, \(Self.batches)) AS i
                """,
                logger: .test
            )
            try await connection.query(
                """
                INSERT INTO reporting.evidence_items (id, batch, type, file_name, media_type, sha256, size, uploaded_by, uploaded_at_micros,
                                                      concerns, requirement_ids, supersedes)
                SELECT 900000000 + i * 16 + k, 'LIMIT-' || i, 'certificate-of-analysis',
                       repeat('long-file-name-', 60) || i || '-' || k || '.pdf', 'application/pdf',
                       md5(i::text || '/' || k) || md5(k::text || '/' || i), 1000, 'operator', 0, '{}'::text[], '{}'::text[], 0
                FROM generate_series(1, \(Self.batches)) AS i, generate_series(1, \(Self.itemsPerBatch)) AS k
                """,
                logger: .test
            )
        }
    }

    /// A report that reads the summary, then nothing until `resume` opens; `holding` opens
    /// once the report has its slot. Returns how many more parts it read.
    static func stalledReport(_ reporting: RunningService, holding: Gate, resume: Gate) -> Task<Int, any Error> {
        Task {
            defer { holding.open() }
            return try await reportingCall(reporting, as: "auditor") { client in
                try await client.getAuditReport(.with { $0.customer = "A"; $0.days = 30 }) { response in
                    var parts = response.messages.makeAsyncIterator()
                    _ = try await parts.next()
                    holding.open()
                    await resume.wait()
                    var received = 0
                    while try await parts.next() != nil { received += 1 }
                    return received
                }
            }
        }
    }

    @Test("one report past CONFORM_REPORTING_MAX_REPORTS is refused with a retry hint; a slow reader is served past the database's statement timeout; one that stops reading ends at CONFORM_REPORTING_REPORT_TIMEOUT_MS and gives its slot back")
    func slotsAndTimeout() async throws {
        let settings = ["CONFORM_REPORTING_MAX_REPORTS": "1", "CONFORM_REPORTING_REPORT_TIMEOUT_MS": "40000"]
        try await withServiceStack(suite: "report_limits", reporting: true, reportingSettings: settings) { stack in
            let reporting = try #require(stack.reporting)
            try await BatchScenario.seed(stack)
            try await Self.seedLargeArchive(reporting)

            // A slow reader: it pauses longer than the service's statement timeout (10 s in
            // the tests), then reads the rest. The pause is the behaviour under test.
            let slowHolding = Gate(), slowResume = Gate()
            defer { slowResume.open() }
            let slow = Self.stalledReport(reporting, holding: slowHolding, resume: slowResume)
            await slowHolding.wait()

            let refused = await #expect(throws: RPCError.self) { try await AuditReportTests.report(reporting) { _ in } }
            #expect(refused?.code == .resourceExhausted)
            #expect(refused?.message.contains("CONFORM_REPORTING_MAX_REPORTS") == true, "said: \(refused?.message ?? "")")
            #expect(refused.map { Array($0.metadata[stringValues: "grpc-retry-pushback-ms"]) } == ["10000"])

            // Read on only once PostgreSQL has waited on this reader longer than the 10 s
            // statement timeout: the report's query blocked writing its rows (ClientWrite).
            let blocked = try await eventually(timeout: .seconds(90)) {
                try await reporting.postgres.asAdministrator(in: reporting.database.database) { connection in
                    let rows = try await connection.query(
                        """
                        SELECT count(*) FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event = 'ClientWrite' AND now() - query_start > interval '11 seconds'
                        """,
                        logger: .test
                    )
                    var count: Int64 = 0
                    for try await (value) in rows.decode(Int64.self) { count = value }
                    return count
                }
            } until: { $0 > 0 }
            #expect(blocked > 0, "the report's query never waited on the reader past the statement timeout")
            slowResume.open()
            let slowParts = try await slow.value
            #expect(slowParts > 2, "the slow reader got \(slowParts) parts after its pause")

            // A reader that stops: its report ends at the timeout, and the next one gets the slot.
            let stoppedHolding = Gate(), stoppedResume = Gate()
            defer { stoppedResume.open() }
            let stopped = Self.stalledReport(reporting, holding: stoppedHolding, resume: stoppedResume)
            await stoppedHolding.wait()
            let next = try await eventually(timeout: .seconds(120)) {
                try? await AuditReportTests.report(reporting) { _ in }
            } until: { $0 != nil }
            let report = try #require(next, "no report was served after the stopped one's timeout")
            #expect(report.summary.archiveItems >= UInt32(Self.batches * Self.itemsPerBatch))
            #expect(report.archive.count == Int(report.summary.archiveItems))

            stoppedResume.open()
            let ended = await #expect(throws: RPCError.self) { try await stopped.value }
            #expect(ended?.code == .deadlineExceeded, "the stopped report ended with \(String(describing: ended))")
            #expect(ended?.message.contains("CONFORM_REPORTING_REPORT_TIMEOUT_MS") == true)
        }
    }
}
