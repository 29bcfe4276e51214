import ConformProtos
import ConformService
import ConformStorage
@testable import EvidenceService
import Foundation
import GRPCCore
import PostgresNIO
import Testing

@Suite("Nothing is kept for ever by accident: expired keys and abandoned uploads are swept", .timeLimit(.minutes(5)))
struct HousekeepingTests {
    /// Runs `body` with a pool on the service's database, as the service's background work has.
    private static func withDatabase<Result: Sendable>(_ settings: DatabaseSettings, _ body: (Database) async throws -> Result) async throws -> Result {
        let database = Database(settings: settings, logger: .test)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }

    @Test("an idempotency key past its retention is forgotten, on the trail; the same key is then a new request")
    func idempotencyKeysExpire() async throws {
        try await withRequirementService(suite: "keyexpiry") { service in
            let key: Metadata = ["idempotency-key": "make-A"]
            try await service.requirement { client throws in
                let made = try await client.createCustomer(CustomerTests.customerA(), metadata: key)
                #expect(try await client.createCustomer(CustomerTests.customerA(), metadata: key) == made, "a retry within retention replays")
            }
            // Keys younger than a day stay.
            try await Self.withDatabase(service.database) { database in
                try await IdempotencyKeyExpiry(service: "requirement", database: database, logger: .test, interval: .seconds(3600), keptFor: .seconds(86_400)).sweep()
            }
            try await service.requirement { client throws in
                #expect(try await client.createCustomer(CustomerTests.customerA(), metadata: key).code == "A")
            }
            try await Self.withDatabase(service.database) { database in
                try await IdempotencyKeyExpiry(service: "requirement", database: database, logger: .test, interval: .seconds(3600), keptFor: .nanoseconds(1)).sweep()
            }
            try await service.requirement { client throws in
                let again = await rpcError { try await client.createCustomer(CustomerTests.customerA(), metadata: key) }
                #expect(again?.code == .alreadyExists, "an expired key must not replay")
            }
            let sweep = try #require(try await service.auditEntries().first { $0.object == "idempotency-keys:expired" })
            #expect(sweep.principal == "system:requirement")
            #expect(sweep.action == "requirement/expire-idempotency-keys")
            #expect(sweep.detailJson.contains("\"keys\""))
        }
    }

    @Test("an upload that stopped arriving is swept; one still arriving, and stored content, stay")
    func abandonedUploadsAreSwept() async throws {
        try await withServiceStack(suite: "orphans") { stack in
            try await BatchScenario.seed(stack)
            _ = try await stack.batches { client in
                try await client.createBatch(.with {
                    $0.number = "B-77"; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = "2025-03-02"; $0.quantity = 2
                })
            }
            let stored = try await stack.evidence { client in
                try await BatchScenario.upload(client, batch: "B-77", metadata: BatchScenario.fullCoA)
            }
            let now = Timestamps.nowMicros()
            try await Self.withDatabase(stack.evidence.database) { database in
                try await database.statement(logger: .test) { connection in
                    // What a replica that crashed mid-upload leaves: chunks of two uploads, one
                    // silent for two days, one that got its last chunk a minute ago.
                    try await connection.query(
                        """
                        INSERT INTO content_chunks (blob, seq, data, staged_at_micros) VALUES
                          ('upload:silent', 0, '\\x01', \(now - 2 * 86_400_000_000)),
                          ('upload:silent', 1, '\\x02', \(now - 2 * 86_400_000_000)),
                          ('upload:arriving', 0, '\\x03', \(now - 2 * 86_400_000_000)),
                          ('upload:arriving', 1, '\\x04', \(now - 60_000_000))
                        """,
                        logger: .test
                    )
                }
                let sweeper = OrphanedUploadSweeper(database: database, logger: .test, interval: .seconds(3600), abandonedAfter: .seconds(86_400))
                try await sweeper.sweep()
                let left = try await database.read(logger: .test) { connection in
                    var blobs: [String] = []
                    for try await blob in try await connection.query("SELECT DISTINCT blob FROM content_chunks ORDER BY blob", logger: .test).decode(String.self) {
                        blobs.append(blob)
                    }
                    return blobs
                }
                #expect(!left.contains("upload:silent"))
                #expect(left.contains("upload:arriving"))
                #expect(left.contains(stored.sha256), "stored content is never swept")
            }
            // The stored item still downloads whole.
            let bytes = try await stack.evidence { client in
                try await client.download(.with { $0.id = stored.id }) { response in
                    var count = 0
                    for try await part in response.messages { if case .chunk(let data)? = part.part { count += data.count } }
                    return count
                }
            }
            #expect(Int64(bytes) == stored.size)
            let sweep = try #require(try await stack.evidence.auditEntries().first { $0.object == "uploads:abandoned" })
            #expect(sweep.principal == "system:evidence")
            #expect(sweep.detailJson.contains("\"uploads\""))
        }
    }

    @Test("the largest item is a setting: past it an upload is refused, naming the limit, and nothing of it is kept")
    func uploadLimit() async throws {
        try await withServiceStack(suite: "uploadcap", evidenceSettings: ["CONFORM_MAX_UPLOAD_BYTES": "2048"]) { stack in
            try await BatchScenario.seed(stack)
            _ = try await stack.batches { client in
                try await client.createBatch(.with {
                    $0.number = "B-78"; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = "2025-03-02"; $0.quantity = 2
                })
            }
            let refused = await rpcError {
                try await stack.evidence { client in
                    try await BatchScenario.upload(client, batch: "B-78", metadata: BatchScenario.fullCoA, content: BatchScenario.pdf + Data(repeating: 0x20, count: 4096), chunkSize: 1024)
                }
            }
            #expect(refused?.code == .invalidArgument)
            #expect(refused?.message.contains("2048 bytes") == true, "said: \(refused?.message ?? "")")
            let staged = try await Self.withDatabase(stack.evidence.database) { database in
                try await database.read(logger: .test) { connection in
                    var count = 0
                    for try await _ in try await connection.query("SELECT 1 FROM content_chunks WHERE blob LIKE 'upload:%'", logger: .test) { count += 1 }
                    return count
                }
            }
            #expect(staged == 0)
        }
    }
}
