import ConformProtos
import ConformStorage
import Crypto
import Foundation
import GRPCCore
import Logging
import PostgresNIO
import Testing

@Suite("Evidence: uploaded in chunks, kept once, checked, tagged, immutable", .timeLimit(.minutes(4)))
struct EvidenceTests {
    static func batch(_ stack: ServiceStack, number: String = "B-100", product: String = "FAST-M8", customer: String = "A") async throws {
        try await stack.batches { client in
            _ = try await client.createBatch(.with {
                $0.number = number; $0.product = product; $0.customer = customer; $0.manufactureDate = "2025-03-02"; $0.quantity = 4
            })
        }
    }

    @Test("a CoA is checked before its content is sent, tagged with the requirement it is evidence for, and downloads as uploaded")
    func uploadCheckedAndTagged() async throws {
        try await withServiceStack(suite: "evidence_upload") { stack in
            try await BatchScenario.seed(stack)
            try await Self.batch(stack)
            try await stack.evidence { client throws in
                let fake = await rpcError {
                    try await BatchScenario.upload(client, batch: "B-100", metadata: BatchScenario.fullCoA, content: Data("just some text".utf8))
                }
                #expect(fake?.code == .invalidArgument)
                #expect(fake?.message.contains("is not application/pdf") == true)

                var missing = BatchScenario.fullCoA
                missing["tensile-strength"] = nil
                let incomplete = await rpcError { try await BatchScenario.upload(client, batch: "B-100", metadata: missing) }
                #expect(incomplete?.code == .invalidArgument)
                #expect(incomplete?.message.contains("metadata.tensile-strength is required: A/CSR-AUTO-0847 v2.0 needs a certificate-of-analysis") == true)

                let jpeg = await rpcError {
                    try await BatchScenario.upload(client, batch: "B-100", mediaType: "image/jpeg", metadata: BatchScenario.fullCoA, content: Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]))
                }
                #expect(jpeg?.message.contains("accepts a certificate-of-analysis only as application/pdf") == true)

                let item = try await BatchScenario.upload(client, batch: "B-100", metadata: BatchScenario.fullCoA, chunkSize: 7)
                // Offered for the CoA requirement, which it does not satisfy until someone with the
                // supplier quality representative's role signs it.
                #expect(item.concerns == ["A/CSR-AUTO-0847 v2.0"])
                #expect(item.satisfies.isEmpty)
                #expect(item.sha256 == SHA256.hash(data: BatchScenario.pdf).map { String(format: "%02x", $0) }.joined())
                #expect(item.size == UInt64(BatchScenario.pdf.count))
                #expect(item.uploadedBy == "operator")
                #expect(item.uploadedAtMicros > 1_700_000_000_000_000)

                let photo = try await BatchScenario.upload(
                    client, batch: "B-100", kind: .photo, type: "ndt", mediaType: "image/png",
                    content: Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
                )
                // An NDT photo is evidence for CSR-A-0300, which wants two of them.
                #expect(photo.concerns == ["A/CSR-A-0300 v1.0"])
                #expect(photo.satisfies.isEmpty)

                let downloaded = try await client.download(.with { $0.id = item.id }) { response in
                    var content = Data()
                    var header: Conform_Evidence_V1_EvidenceItem?
                    for try await message in response.messages {
                        switch message.part {
                        case .item(let value)?: header = value
                        case .chunk(let chunk)?: content.append(chunk)
                        case nil: break
                        }
                    }
                    return (header, content)
                }
                #expect(downloaded.0?.id == item.id)
                #expect(downloaded.1 == BatchScenario.pdf)

                // Content is kept once, however often it is uploaded.
                _ = try await BatchScenario.upload(client, batch: "B-100", metadata: BatchScenario.fullCoA)
                #expect(try await Self.count("SELECT count(*) FROM contents", in: stack.evidence) == 2)
                #expect(try await Self.count("SELECT count(*) FROM content_chunks WHERE blob LIKE 'upload:%'", in: stack.evidence) == 0)
            }
            let types = try await stack.evidence.events().map(\.type)
            #expect(types.filter { $0 == "evidence.attached" }.count == 3)
        }
    }

    @Test("a correction supersedes an item and the history stays; rows cannot be changed behind the service's back")
    func correctionsSupersede() async throws {
        try await withServiceStack(suite: "evidence_correction") { stack in
            try await BatchScenario.seed(stack)
            try await Self.batch(stack)
            try await stack.evidence { client throws in
                let first = try await BatchScenario.upload(client, batch: "B-100", metadata: BatchScenario.fullCoA)
                let reasonless = await rpcError {
                    try await BatchScenario.upload(client, batch: "B-100", metadata: BatchScenario.fullCoA, supersedes: first.id)
                }
                #expect(reasonless?.message.contains("correction_reason is required") == true)
                var corrected = BatchScenario.fullCoA
                corrected["tensile-strength"] = "1045 MPa"
                let second = try await BatchScenario.upload(
                    client, batch: "B-100", metadata: corrected, supersedes: first.id, reason: "tensile result transcribed wrongly"
                )
                #expect(second.supersedes == first.id)
                let current = try await client.listItems(.with { $0.batch = "B-100" }).items
                #expect(current.map(\.id) == [second.id])
                let history = try await client.listItems(.with { $0.batch = "B-100"; $0.includeSuperseded = true }).items
                #expect(history.map(\.supersededBy) == [second.id, 0])
                let twice = await rpcError {
                    try await BatchScenario.upload(client, batch: "B-100", metadata: corrected, supersedes: first.id, reason: "again")
                }
                #expect(twice?.code == .failedPrecondition)
            }
            await #expect(throws: (any Error).self) {
                try await Self.count("UPDATE evidence_items SET type = 'other' RETURNING 1", in: stack.evidence)
            }
        }
    }

    @Test("a 200 MB upload streams through with bounded memory and downloads verified against its hash")
    func largeUpload() async throws {
        try await withServiceStack(suite: "evidence_large") { stack in
            try await BatchScenario.seed(stack)
            try await Self.batch(stack)
            let chunk = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            var first = Data("%PDF-1.7\n".utf8)
            first.append(chunk.prefix(chunk.count - first.count))
            let head = first
            let chunks = 200
            var expected = SHA256()
            for index in 0..<chunks { expected.update(data: index == 0 ? head : chunk) }
            let digest = expected.finalize().map { String(format: "%02x", $0) }.joined()
            let before = MemoryUse.residentBytes()
            try await stack.evidence { client in
                let item = try await client.upload { writer in
                    try await writer.write(.with {
                        $0.header = .with {
                            $0.batch = "B-100"; $0.kind = .document; $0.type = "inspection-record"; $0.mediaType = "application/pdf"; $0.fileName = "big.pdf"
                        }
                    })
                    for index in 0..<chunks { try await writer.write(.with { $0.chunk = index == 0 ? head : chunk }) }
                }
                #expect(item.sha256 == digest)
                #expect(item.size == UInt64(chunks << 20))
                let growth = MemoryUse.residentBytes() - before
                // Client and server share this process: holding the file would be 200 MB or more.
                #expect(growth < 120 << 20, "resident memory grew by \(growth >> 20) MB")
                let (bytes, sha) = try await client.download(.with { $0.id = item.id }) { response in
                    var hasher = SHA256()
                    var bytes = 0
                    for try await message in response.messages {
                        if case .chunk(let data)? = message.part {
                            hasher.update(data: data)
                            bytes += data.count
                        }
                    }
                    return (bytes, hasher.finalize().map { String(format: "%02x", $0) }.joined())
                }
                #expect(bytes == chunks << 20)
                #expect(sha == digest)
            }
        }
    }

    /// Runs `sql` as the service's own database role, behind the service's back.
    @discardableResult
    static func count(_ sql: String, in service: RunningService) async throws -> Int {
        try await service.host.database.read(logger: .test) { connection in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: .test)
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }
}

/// This process's resident memory, from /proc.
enum MemoryUse {
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
