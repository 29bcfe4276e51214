import ConformDomain
import ConformProtos
import Crypto
import Foundation
import GRPCCore
import Testing

@Suite("Electronic signatures: who may sign, proven by their own key, bound to what they signed", .timeLimit(.minutes(5)))
struct SignatureTests {
    static func batchForD(_ stack: ServiceStack) async throws -> Conform_Batch_V1_Batch {
        try await stack.batches { client in
            try await client.createBatch(.with {
                $0.number = "D-500"; $0.product = "ABC"; $0.customer = "D"; $0.manufactureDate = "2025-03-02"; $0.quantity = 2
            })
        }
    }

    @Test("a signer without the certification on the signing date is refused; a certified one signs; the signature verifies offline")
    func certifiedInspector() async throws {
        try await withServiceStack(suite: "sign_certified") { stack in
            try await BatchScenario.seed(stack)
            let batch = try await Self.batchForD(stack)
            try await stack.evidence(as: "inspector") { client throws in
                let uncertified = await rpcError {
                    try await BatchScenario.sign(client, target: "batch:D-500", digest: batch.recordDigest, meaning: .approved, as: "inspector")
                }
                #expect(uncertified?.code == .permissionDenied)
                #expect(uncertified?.message.contains("D/CSR-D-0234 v1.0 reserves it for role inspector and certification certified-quality-inspector") == true)
                #expect(uncertified?.message.contains("inspector holds role inspector on") == true)
                // Nor can a person name the role the requirement's demand is replaced by.
                let (manifest, signature) = try BatchScenario.inspectorKey.sign(
                    target: "batch:D-500", digest: batch.recordDigest, meaning: .approved, signer: "inspector", printedName: "Kim Inspector"
                )
                let ownRole = await rpcError {
                    try await client.sign(.with { $0.manifest = manifest; $0.signature = signature; $0.requiredRole = "inspector" })
                }
                #expect(ownRole?.code == .permissionDenied)
                #expect(ownRole?.message.hasPrefix("required_role is set only by a Conform service") == true)
            }
            // Each refusal is on the trail with its status and reason, as a rule's refusal
            // (refused) or, for the field only a service may set, an authorization's (denied).
            let signs = try await stack.evidence.auditEntries().filter { $0.action == "conform.evidence.v1.EvidenceService/Sign" }
            let refusal = try #require(signs.first { $0.detailJson.contains("reserves it for role inspector") })
            #expect(refusal.outcome == .refused)
            #expect(refusal.principal == "inspector")
            #expect(refusal.detailJson.contains("\"code\":\"PERMISSION_DENIED\""))
            let roleDenial = try #require(signs.first { $0.detailJson.contains("required_role is set only by") })
            #expect(roleDenial.outcome == .denied)
            // A lapsed certification is no better than none.
            try await BatchScenario.certifyInspector(stack, from: "2020-01-01", to: "2021-12-31")
            try await stack.evidence(as: "inspector") { client throws in
                let lapsed = await rpcError {
                    try await BatchScenario.sign(client, target: "batch:D-500", digest: batch.recordDigest, meaning: .approved, as: "inspector")
                }
                #expect(lapsed?.code == .permissionDenied)
            }
            try await BatchScenario.certifyInspector(stack)
            let signature = try await stack.evidence(as: "inspector") { client in
                try await BatchScenario.sign(client, target: "batch:D-500", digest: batch.recordDigest, meaning: .approved, as: "inspector")
            }
            #expect(signature.printedName == "Kim Inspector")
            #expect(signature.certificationsHeld == ["certified-quality-inspector"])
            #expect(signature.manifest.contains("meaning: approved\n"))

            // Offline: the manifest's bytes, the signature and the public key are all it takes.
            let export = try await stack.evidence(as: "auditor") { client in
                try await client.exportSignature(.with { $0.id = signature.id })
            }
            let key = try P256.Signing.PublicKey(pemRepresentation: export.publicKeyPem)
            let ecdsa = try P256.Signing.ECDSASignature(derRepresentation: export.signature.signature)
            #expect(key.isValidSignature(ecdsa, for: Data(export.signature.manifest.utf8)))
            #expect(export.currentDigest == batch.recordDigest)
            let events = try await stack.evidence.events().map(\.type)
            #expect(events.contains("signature.applied"))
        }
    }

    @Test("a signature must be the signer's own, made now, on the record as it is")
    func proofOfIdentity() async throws {
        try await withServiceStack(suite: "sign_proof") { stack in
            try await BatchScenario.seed(stack)
            try await BatchScenario.certifyInspector(stack)
            let batch = try await Self.batchForD(stack)
            try await stack.evidence(as: "inspector") { client throws in
                // Someone else's key cannot make the inspector's signature.
                let (manifest, forged) = try BatchScenario.operatorKey.sign(
                    target: "batch:D-500", digest: batch.recordDigest, meaning: .approved, signer: "inspector", printedName: "Kim Inspector"
                )
                let wrongKey = await rpcError { try await client.sign(.with { $0.manifest = manifest; $0.signature = forged }) }
                #expect(wrongKey?.code == .permissionDenied)
                #expect(wrongKey?.message.contains("registered signing key") == true)
                // An old signed manifest cannot be replayed.
                let (old, oldSignature) = try BatchScenario.inspectorKey.sign(
                    target: "batch:D-500", digest: batch.recordDigest, meaning: .approved, signer: "inspector", printedName: "Kim Inspector",
                    at: Int64(Date().timeIntervalSince1970 * 1_000_000) - 3_600_000_000
                )
                let stale = await rpcError { try await client.sign(.with { $0.manifest = old; $0.signature = oldSignature }) }
                #expect(stale?.code == .failedPrecondition)
                // A digest that is not the record's is refused.
                let other = await rpcError {
                    try await BatchScenario.sign(client, target: "batch:D-500", digest: "sha256:" + String(repeating: "0", count: 64), meaning: .approved, as: "inspector")
                }
                #expect(other?.code == .failedPrecondition)
                #expect(other?.message.contains("is not batch:D-500's current digest") == true)
                // People sign as themselves.
                let impostor = await rpcError {
                    try await BatchScenario.sign(client, target: "batch:D-500", digest: batch.recordDigest, meaning: .approved, as: "quality-manager")
                }
                #expect(impostor?.code == .permissionDenied)
            }
            let signs = try await stack.evidence.auditEntries().filter { $0.action == "conform.evidence.v1.EvidenceService/Sign" }
            // The four attempts above, each recorded once, as refused.
            #expect(signs.filter { $0.principal == "inspector" }.map(\.outcome) == [.refused, .refused, .refused, .refused])
            for reason in ["registered signing key", "is not batch:D-500's current digest", "sign as yourself"] {
                let entry = signs.first { $0.detailJson.contains(reason) }
                #expect(entry?.outcome == .refused, "the refusal '\(reason)' is recorded as refused")
                #expect(entry?.principal == "inspector")
            }
        }
    }

    @Test("a signature moved to another record, or a record changed after signing, is detected")
    func movedSignatureDetected() async throws {
        try await withServiceStack(suite: "sign_moved") { stack in
            try await BatchScenario.seed(stack)
            try await BatchScenario.certifyInspector(stack)
            try await stack.requirement.catalog { client in
                _ = try await client.createRequirement(.with {
                    $0.customer = "D"; $0.requirementID = "CSR-D-0400"; $0.category = .traceability; $0.strength = .preferred
                    $0.scope = .with { $0.allProducts = true }
                    $0.firstVersion = BatchScenario.version("1.0", from: "2024-01-01", rules: [.with { $0.serialization = .with { $0.methods = [.qr] } }])
                })
            }
            let batch = try await Self.batchForD(stack)
            _ = try await stack.batches { client in
                try await client.createBatch(.with {
                    $0.number = "D-501"; $0.product = "ABC"; $0.customer = "D"; $0.manufactureDate = "2025-03-02"; $0.quantity = 2
                })
            }
            let signature = try await stack.evidence(as: "inspector") { client in
                try await BatchScenario.sign(client, target: "batch:D-500", digest: batch.recordDigest, meaning: .approved, as: "inspector")
            }
            // Behind the service's back, someone files a copy of the signature under D-501.
            try await EvidenceTests.count(
                """
                INSERT INTO signatures (target, digest, meaning, signer, printed_name, signed_at_micros, roles_held, certifications_held,
                                        manifest, signature, key_fingerprint, recorded_at_micros)
                SELECT 'batch:D-501', digest, meaning, signer, printed_name, signed_at_micros + 1, roles_held, certifications_held,
                       manifest, signature, key_fingerprint, recorded_at_micros FROM signatures WHERE id = \(signature.id) RETURNING 1
                """,
                in: stack.evidence
            )
            try await stack.evidence(as: "auditor") { client in
                let moved = try await client.verifySignatures(.with { $0.target = "batch:D-501" })
                #expect(moved.checks.count == 1)
                #expect(moved.checks.first?.valid == false)
                #expect(moved.checks.first?.problem.contains("it has been moved to another record") == true)
                let original = try await client.verifySignatures(.with { $0.target = "batch:D-500" })
                #expect(original.checks.map(\.valid) == [true])
            }
            // The record changes after signing: the signature no longer covers it.
            try await stack.batches { client in
                _ = try await client.assignSerials(.with { $0.number = "D-500" })
            }
            try await stack.evidence(as: "auditor") { client in
                let changed = try await client.verifySignatures(.with { $0.target = "batch:D-500" })
                #expect(changed.checks.first?.valid == false)
                #expect(changed.checks.first?.problem.contains("the record changed after it was signed") == true)
            }
        }
    }
}
