import ConformDomain
import ConformProtos
import ConformStorage
import Foundation
import GRPCCore
import Testing

/// A release spans the batch and evidence services: kept as a record of its own, answered
/// again when retried, finished or abandoned after a crash, and never standing on evidence
/// its decision did not see.
@Suite("Release across services: retried, recovered, sealed", .timeLimit(.minutes(3)))
struct ReleaseRecoveryTests {
    /// A batch for customer A with everything its mandatory requirement needs: a signed CoA
    /// and the smelter production date. Returns its digest and the CoA's item and signature.
    static func readyBatch(_ stack: ServiceStack, _ number: String) async throws -> (digest: String, item: Int64, signature: Int64) {
        _ = try await stack.batches { client in
            try await client.createBatch(.with { $0.number = number; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = "2025-03-02"; $0.quantity = 2 })
        }
        let item = try await stack.evidence { client in try await BatchScenario.upload(client, batch: number, metadata: BatchScenario.fullCoA) }
        let signed = try await stack.evidence(as: "quality-engineer") { client in
            try await BatchScenario.sign(client, target: "evidence:\(item.id)", digest: "sha256:\(item.sha256)", meaning: .approved, as: "quality-engineer")
        }
        let filled = try await stack.batches { client in
            try await client.recordFields(.with { $0.number = number; $0.values = ["smelter-production-date": "2025-01-03"] })
        }
        return (filled.recordDigest, Int64(item.id), Int64(signed.id))
    }

    /// The quality manager's signed release request, made at `micros`.
    static func request(_ number: String, digest: String, at micros: Int64 = Int64(Date().timeIntervalSince1970 * 1_000_000)) throws -> Conform_Batch_V1_ReleaseRequest {
        let (key, name) = BatchScenario.signer("quality-manager")
        let (manifest, signature) = try key.sign(target: "batch:\(number)", digest: digest, meaning: .approved, signer: "quality-manager", printedName: name, at: micros)
        return .with { $0.number = number; $0.manifest = manifest; $0.signature = signature }
    }

    /// A release recorded as requested and then cut short (the replica died before it asked
    /// the evidence service): the row the first step leaves, written as it would be.
    /// `at` is when its last step was, in microseconds (0: long ago, so the reconciler takes it at once).
    static func cutShort(_ stack: ServiceStack, _ request: Conform_Batch_V1_ReleaseRequest, digest: String, basis: String, at micros: Int64 = 0) async throws {
        try await stack.batch.host.database.transaction(logger: .test) { connection in
            try await connection.query(
                """
                INSERT INTO releases (batch, state, manifest, signature, record_digest, basis, warnings, requested_by, requested_at_micros, updated_at_micros)
                VALUES (\(request.number), 'requested', \(request.manifest), \(request.signature), \(digest), \(basis), '', 'quality-manager', \(micros), \(micros))
                """,
                logger: .test
            )
        }
    }

    /// Each batch's latest release: its state and problem.
    static func releases(_ stack: ServiceStack) async throws -> [String: (String, String)] {
        try await stack.batch.host.database.read(logger: .test) { connection in
            var states: [String: (String, String)] = [:]
            let rows = try await connection.query("SELECT batch, state, problem FROM releases ORDER BY id", logger: .test)
            for try await (batch, state, problem) in rows.decode((String, String, String).self) { states[batch] = (state, problem) }
            return states
        }
    }

    static func status(_ stack: ServiceStack, _ number: String) async throws -> Conform_Batch_V1_BatchStatus {
        try await stack.batches { client in try await client.getBatch(.with { $0.number = number }).status }
    }

    @Test("a release retried, with its idempotency key or without, answers with its outcome; the record is sealed for good")
    func retriedRelease() async throws {
        try await withServiceStack(suite: "release_retry") { stack in
            try await BatchScenario.seed(stack)
            let ready = try await Self.readyBatch(stack, "B-RR-1")
            let request = try Self.request("B-RR-1", digest: ready.digest)
            let first = try await stack.batches(as: "quality-manager") { client in
                try await client.release(request, metadata: ["idempotency-key": "release-B-RR-1"])
            }
            #expect(first.released && first.batch.status == .released)
            // The response was lost, say: the same key again is the same answer, not "already released".
            let keyed = try await stack.batches(as: "quality-manager") { client in
                try await client.release(request, metadata: ["idempotency-key": "release-B-RR-1"])
            }
            #expect(keyed == first)
            // Without a key, the same signed request is still the same release.
            let again = try await stack.batches(as: "quality-manager") { client in try await client.release(request) }
            #expect(again.released && again.batch.releaseSignature == first.batch.releaseSignature)
            // A new signature on a released batch is refused as before.
            let other = await rpcError {
                try await stack.batches(as: "quality-manager") { client in try await client.release(try Self.request("B-RR-1", digest: ready.digest)) }
            }
            #expect(other?.code == .failedPrecondition)
            #expect(try await stack.batch.events().map(\.type).filter { $0.hasPrefix("batch.release") } == ["batch.release-requested", "batch.release-signed", "batch.released"])
            let signatures = try await stack.evidence { client in try await client.listSignatures(.with { $0.target = "batch:B-RR-1" }).signatures }
            #expect(signatures.count == 1)

            // The same request sent twice at once (a client that gave up waiting and retried):
            // one release, one signature, one seal, and both answers say released.
            let twice = try await Self.readyBatch(stack, "B-RR-4")
            let doubled = try Self.request("B-RR-4", digest: twice.digest)
            async let firstAnswer = stack.batches(as: "quality-manager") { client in try await client.release(doubled) }
            async let secondAnswer = stack.batches(as: "quality-manager") { client in try await client.release(doubled) }
            let answers = try await [firstAnswer, secondAnswer]
            #expect(answers.allSatisfy { $0.released && $0.batch.releaseSignature == answers[0].batch.releaseSignature })
            let doubledSignatures = try await stack.evidence { client in try await client.listSignatures(.with { $0.target = "batch:B-RR-4" }).signatures }
            #expect(doubledSignatures.count == 1)
            // Another quality manager cannot take over someone's release by replaying its bytes.
            let takeover = await rpcError {
                try await stack.batches(as: "deputy-quality-manager") { client in try await client.release(doubled) }
            }
            #expect(takeover?.code == .permissionDenied)
            #expect(takeover?.message.contains("was requested by quality-manager, not you") == true)

            // While a release is in flight the batch changes no more.
            let pending = try await Self.readyBatch(stack, "B-RR-2")
            // Just now, so the reconciler (30 s by default) leaves it alone while this looks.
            try await Self.cutShort(
                stack, try Self.request("B-RR-2", digest: pending.digest), digest: pending.digest, basis: "sha256:" + String(repeating: "0", count: 64),
                at: Int64(Date().timeIntervalSince1970 * 1_000_000)
            )
            let change = await rpcError {
                try await stack.batches { client in try await client.recordFields(.with { $0.number = "B-RR-2"; $0.values = ["smelter-production-date": "2025-01-04"] }) }
            }
            #expect(change?.code == .failedPrecondition)
            #expect(change?.message.contains("is being released") == true)
            // A legal hold is not part of the record a release signs.
            _ = try await stack.batches(as: "quality-manager") { client in
                try await client.setLegalHold(.with { $0.number = "B-RR-2"; $0.hold = true; $0.reason = "customer complaint CC-17 under investigation" })
            }

            // Evidence committed after the seal is refused, even when the batch service still
            // said open when the upload began: here the seal is written under an open batch.
            _ = try await Self.readyBatch(stack, "B-RR-3")
            try await stack.evidence.host.database.transaction(logger: .test) { connection in
                try await connection.query(
                    "INSERT INTO release_seals (batch, signature_id, record_digest, basis, sealed_at_micros) VALUES ('B-RR-3', \(ready.signature), 'x', 'y', 0)",
                    logger: .test
                )
            }
            let late = await rpcError { try await stack.evidence { client in try await BatchScenario.upload(client, batch: "B-RR-3", metadata: BatchScenario.fullCoA) } }
            #expect(late?.code == .failedPrecondition)
            #expect(late?.message.contains("was released meanwhile") == true)
        }
    }

    @Test("a release cut short is finished by the batch service; one that can no longer be signed, or whose evidence changed, is abandoned")
    func recoveredRelease() async throws {
        let fast = ["CONFORM_RELEASE_RECONCILE_MS": "100", "CONFORM_RELEASE_STALLED_AFTER_MS": "100"]
        try await withServiceStack(suite: "release_recovery", batchSettings: fast) { stack in
            try await BatchScenario.seed(stack)
            // Cut short after its first step, with a fresh signature: finished.
            let fresh = try await Self.readyBatch(stack, "B-RC-1")
            let basis = ReleaseBasis.fingerprint(items: [fresh.item], signatures: [fresh.signature])
            try await Self.cutShort(stack, try Self.request("B-RC-1", digest: fresh.digest), digest: fresh.digest, basis: basis)
            // A signature made an hour ago: the evidence service will not take it now.
            let stale = try await Self.readyBatch(stack, "B-RC-2")
            let anHourAgo = Int64(Date().timeIntervalSince1970 * 1_000_000) - 3_600_000_000
            try await Self.cutShort(
                stack, try Self.request("B-RC-2", digest: stale.digest, at: anHourAgo), digest: stale.digest,
                basis: ReleaseBasis.fingerprint(items: [stale.item], signatures: [stale.signature])
            )
            // No evidence at all, and a signature made an hour ago: abandoned, and then the batch
            // cannot be deleted, because its release is part of its record.
            let empty = try await stack.batches { client in
                try await client.createBatch(.with { $0.number = "B-RC-4"; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = "2025-03-02"; $0.quantity = 1 })
            }
            try await Self.cutShort(
                stack, try Self.request("B-RC-4", digest: empty.recordDigest, at: anHourAgo), digest: empty.recordDigest,
                basis: ReleaseBasis.fingerprint(items: [], signatures: [])
            )
            // Decided on one item, but a second arrived before the evidence service was asked
            // (evidence lives there, beyond the batch's own fence): it refuses to seal.
            let changed = try await Self.readyBatch(stack, "B-RC-3")
            _ = try await stack.evidence { client in try await BatchScenario.upload(client, batch: "B-RC-3", metadata: BatchScenario.fullCoA) }
            try await Self.cutShort(
                stack, try Self.request("B-RC-3", digest: changed.digest), digest: changed.digest,
                basis: ReleaseBasis.fingerprint(items: [changed.item], signatures: [changed.signature])
            )

            // The reconciler takes each on; polled, as nothing announces a release it finishes.
            let releases = try await eventually({ try await Self.releases(stack) }, until: { states in
                ["B-RC-1", "B-RC-2", "B-RC-3", "B-RC-4"].allSatisfy { states[$0].map { $0.0 != "requested" && $0.0 != "signed" } ?? false }
            })
            #expect(releases["B-RC-1"]?.0 == "released")
            #expect(releases["B-RC-2"]?.0 == "abandoned")
            #expect(releases["B-RC-2"]?.1.isEmpty == false)
            #expect(releases["B-RC-3"]?.0 == "abandoned")
            #expect(releases["B-RC-3"]?.1.contains("evidence changed after the release was decided") == true)
            #expect(try await Self.status(stack, "B-RC-1") == .released)
            // Abandoned: the batches are open and change again.
            #expect(try await Self.status(stack, "B-RC-2") == .open)
            #expect(try await Self.status(stack, "B-RC-3") == .open)
            #expect(releases["B-RC-4"]?.0 == "abandoned")
            let deletion = await rpcError { try await stack.batches(as: "quality-manager") { client in try await client.deleteBatch(.with { $0.number = "B-RC-4" }) } }
            #expect(deletion?.code == .failedPrecondition)
            #expect(deletion?.message.contains("has a release on record") == true)
            _ = try await stack.batches { client in try await client.recordFields(.with { $0.number = "B-RC-2"; $0.values = ["smelter-production-date": "2025-01-05"] }) }
            // The service did it on its own, and the trail says so.
            let trail = try await stack.batch.auditEntries().filter { $0.principal == "system:batch" }
            #expect(trail.contains { $0.object == "batch:B-RC-1" && $0.action == "batch/release-reconciler" && $0.outcome == .write })
            let signatures = try await stack.evidence { client in try await client.listSignatures(.with { $0.target = "batch:B-RC-3" }).signatures }
            #expect(signatures.isEmpty)
        }
    }
}
