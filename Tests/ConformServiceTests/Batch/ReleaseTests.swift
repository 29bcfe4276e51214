import ConformDomain
import ConformProtos
import Foundation
import GRPCCore
import GRPCProtobuf
import SwiftProtobuf
import Testing

@Suite("Release: refused while a mandatory requirement is unmet, then signed; a completed record is read-only", .timeLimit(.minutes(5)))
struct ReleaseTests {
    static func release(_ stack: ServiceStack, _ number: String, digest: String, as principal: String = "quality-manager") async throws -> Conform_Batch_V1_ReleaseDecision {
        let (key, name) = BatchScenario.signer(principal)
        let (manifest, signature) = try key.sign(target: "batch:\(number)", digest: digest, meaning: .approved, signer: principal, printedName: name)
        return try await stack.batches(as: principal) { client in
            try await client.release(.with { $0.number = number; $0.manifest = manifest; $0.signature = signature })
        }
    }

    @Test("release is blocked with every unmet requirement and days overdue, then granted once the evidence is there")
    func blockedThenGranted() async throws {
        try await withServiceStack(suite: "release") { stack in
            try await BatchScenario.seed(stack)
            let batch = try await stack.batches { client in
                try await client.createBatch(.with {
                    $0.number = "B-900"; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = "2025-03-02"; $0.quantity = 2
                })
            }
            let report = try await stack.batches { client in try await client.compliance(.with { $0.number = "B-900" }) }
            #expect(!report.releasable)
            let coa = report.requirements.first { $0.requirementID == "CSR-AUTO-0847" }
            #expect(coa?.state == .unsatisfied)
            #expect(coa?.missing.count == 2)
            #expect((coa?.daysOverdue ?? 0) >= 600)

            let refused = await rpcError { try await Self.release(stack, "B-900", digest: batch.recordDigest) }
            #expect(refused?.code == .failedPrecondition)
            #expect(refused?.message.contains("batch B-900 cannot be released: 1 mandatory requirement(s) unmet") == true)
            #expect(refused?.message.contains("A/CSR-AUTO-0847 v2.0") == true)
            #expect(refused?.message.contains("a certificate-of-analysis (application/pdf) with smelter-production-date") == true)
            #expect(refused?.message.contains("record field(s) smelter-production-date") == true)
            #expect(refused?.message.contains("day(s) overdue") == true)
            // The same refusal, machine-readable, as google.rpc.Status details.
            let status = try #require(try refused?.unpackGoogleRPCStatus())
            #expect(status.code == .failedPrecondition)
            #expect(status.details.compactMap(\.errorInfo).first?.reason == "RELEASE_BLOCKED")
            let violations = status.details.compactMap(\.preconditionFailure).first?.violations ?? []
            #expect(violations.map(\.subject) == ["requirement:A/CSR-AUTO-0847 v2.0"])
            #expect(violations.first?.type == "REQUIREMENT_UNMET")
            let packed = try #require(status.details.compactMap { $0.any }.first)
            let attached = try Conform_Batch_V1_ComplianceReport(unpackingAny: packed)
            #expect(attached.batch == "B-900" && !attached.releasable)
            #expect(try await stack.batch.events().map(\.type).contains("batch.release-refused"))

            // The evidence arrives: a CoA signed by the supplier quality representative, and the record field.
            let item = try await stack.evidence { client in
                try await BatchScenario.upload(client, batch: "B-900", metadata: BatchScenario.fullCoA)
            }
            let unsigned = try await stack.batches { client in try await client.compliance(.with { $0.number = "B-900" }) }
            #expect(unsigned.requirements.first { $0.requirementID == "CSR-AUTO-0847" }?.missing.contains("certificate-of-analysis #\(item.id) is not signed by someone holding role supplier-quality-representative") == true)
            try await stack.evidence(as: "operator") { client throws in
                let notTheirs = await rpcError {
                    try await BatchScenario.sign(client, target: "evidence:\(item.id)", digest: "sha256:\(item.sha256)", meaning: .approved, as: "operator")
                }
                #expect(notTheirs?.code == .permissionDenied)
            }
            _ = try await stack.evidence(as: "quality-engineer") { client in
                try await BatchScenario.sign(client, target: "evidence:\(item.id)", digest: "sha256:\(item.sha256)", meaning: .approved, as: "quality-engineer")
            }
            let filled = try await stack.batches { client in
                try await client.recordFields(.with { $0.number = "B-900"; $0.values = ["smelter-production-date": "2025-01-03"] })
            }
            let ready = try await stack.batches { client in try await client.compliance(.with { $0.number = "B-900" }) }
            #expect(ready.releasable)
            #expect(ready.requirements.first { $0.requirementID == "CSR-AUTO-0847" }?.state == .satisfied)
            #expect(ready.requirements.first { $0.requirementID == "CSR-AUTO-0847" }?.evidence == [item.id])

            // An operator may not release; a stale digest is refused; the quality manager's release is signed.
            let byOperator = await rpcError { try await Self.release(stack, "B-900", digest: filled.recordDigest, as: "operator") }
            #expect(byOperator?.code == .permissionDenied)
            let stale = await rpcError { try await Self.release(stack, "B-900", digest: batch.recordDigest) }
            #expect(stale?.code == .failedPrecondition)
            let decision = try await Self.release(stack, "B-900", digest: filled.recordDigest)
            #expect(decision.released)
            #expect(decision.batch.status == .released)
            #expect(decision.batch.completedBy == "quality-manager")
            #expect(decision.batch.releaseSignature > 0)
            #expect(decision.warnings.first?.contains("A/CSR-A-0300 v1.0 (preferred) is not satisfied: 2 more ndt photo(s)") == true)
            #expect(try await stack.batch.events().map(\.type).contains("batch.released"))
        }
    }

    @Test("a released record is read-only; an amendment records who, why and what changed; a legal hold blocks archival and deletion")
    func lockedRecord() async throws {
        try await withServiceStack(suite: "release_locked") { stack in
            try await BatchScenario.seed(stack)
            try await BatchScenario.certifyInspector(stack)
            let batch = try await stack.batches { client in
                try await client.createBatch(.with {
                    $0.number = "D-900"; $0.product = "ABC"; $0.customer = "D"; $0.manufactureDate = "2025-03-02"; $0.quantity = 2
                })
            }
            // D wants an approval by a certified inspector and a review by two different people.
            try await stack.evidence(as: "inspector") { client in
                _ = try await BatchScenario.sign(client, target: "batch:D-900", digest: batch.recordDigest, meaning: .approved, as: "inspector")
                _ = try await BatchScenario.sign(client, target: "batch:D-900", digest: batch.recordDigest, meaning: .reviewed, as: "inspector")
            }
            let halfReviewed = try await stack.batches { client in try await client.compliance(.with { $0.number = "D-900" }) }
            #expect(halfReviewed.requirements.first?.missing == ["two signatures (reviewed) on the batch record by different people, one holding role inspector, the other role quality-manager"])
            try await stack.evidence(as: "quality-manager") { client in
                _ = try await BatchScenario.sign(client, target: "batch:D-900", digest: batch.recordDigest, meaning: .reviewed, as: "quality-manager")
            }
            let released = try await ReleaseTests.release(stack, "D-900", digest: batch.recordDigest)
            #expect(released.released)

            try await stack.batches(as: "quality-manager") { client throws in
                let edit = await rpcError { try await client.reject(.with { $0.number = "D-900"; $0.reason = "changed my mind" }) }
                #expect(edit?.code == .failedPrecondition)
                #expect(edit?.message.contains("is released and its record is read-only") == true)
                let waive = await rpcError {
                    try await client.waiveRequirement(.with { $0.number = "D-900"; $0.customer = "D"; $0.requirementID = "CSR-D-0234"; $0.reason = "r"; $0.customerApprovalReference = "x" })
                }
                #expect(waive?.code == .failedPrecondition)
            }
            try await stack.evidence { client throws in
                let late = await rpcError { try await BatchScenario.upload(client, batch: "D-900", type: "inspection-record") }
                #expect(late?.code == .failedPrecondition)
                #expect(late?.message.contains("a correction goes through an amendment (Amend)") == true)
            }
            try await stack.batches(as: "quality-manager") { client throws in
                let hold = try await client.setLegalHold(.with { $0.number = "D-900"; $0.hold = true; $0.reason = "litigation L-2025-7" })
                #expect(hold.legalHold)
                let archive = await rpcError { try await client.archive(.with { $0.number = "D-900" }) }
                #expect(archive?.message.contains("under legal hold (litigation L-2025-7)") == true)
                let delete = await rpcError { try await client.deleteBatch(.with { $0.number = "D-900" }) }
                #expect(delete?.code == .failedPrecondition)
                _ = try await client.setLegalHold(.with { $0.number = "D-900"; $0.hold = false; $0.reason = "litigation settled" })
                let archived = try await client.archive(.with { $0.number = "D-900" })
                #expect(archived.archived)
                let stillKept = await rpcError { try await client.deleteBatch(.with { $0.number = "D-900" }) }
                #expect(stillKept?.message.contains("a completed record is kept, never deleted") == true)
            }
        }
    }

    @Test("an amendment corrects a completed record and is recorded; a waiver is the quality manager's, with the customer's approval")
    func amendmentAndWaiver() async throws {
        try await withServiceStack(suite: "release_amend") { stack in
            try await BatchScenario.seed(stack)
            _ = try await stack.batches { client in
                try await client.createBatch(.with {
                    $0.number = "B-950"; $0.product = "FAST-M8"; $0.customer = "A"; $0.manufactureDate = "2025-03-02"; $0.quantity = 2
                })
            }
            try await stack.batches(as: "operator") { client throws in
                let denied = await rpcError {
                    try await client.waiveRequirement(.with { $0.number = "B-950"; $0.customer = "A"; $0.requirementID = "CSR-AUTO-0847"; $0.reason = "r"; $0.customerApprovalReference = "x" })
                }
                #expect(denied?.code == .permissionDenied)
            }
            let waived = try await stack.batches(as: "quality-manager") { client in
                try await client.waiveRequirement(.with {
                    $0.number = "B-950"; $0.customer = "A"; $0.requirementID = "CSR-AUTO-0847"
                    $0.reason = "first article, CoA follows with the next lot"; $0.customerApprovalReference = "A deviation DV-118"
                })
            }
            #expect(waived.releasable)
            #expect(waived.requirements.first { $0.requirementID == "CSR-AUTO-0847" }?.state == .waived)
            let batch = try await stack.batches { client in try await client.getBatch(.with { $0.number = "B-950" }) }
            _ = try await ReleaseTests.release(stack, "B-950", digest: batch.recordDigest)
            try await stack.batches(as: "quality-manager") { client throws in
                let direct = await rpcError {
                    try await client.recordFields(.with { $0.number = "B-950"; $0.values = ["smelter-production-date": "2025-01-04"] })
                }
                #expect(direct?.code == .failedPrecondition)
                let amended = try await client.amend(.with {
                    $0.number = "B-950"; $0.reason = "smelter date read from the mill certificate"; $0.values = ["smelter-production-date": "2025-01-04"]
                })
                #expect(amended.amendments.map(\.changes) == [["smelter-production-date: (none) -> 2025-01-04"]])
                #expect(amended.amendments.first?.amendedBy == "quality-manager")
                #expect(amended.fields.first?.value == "2025-01-04")
                #expect(amended.status == .released)
            }
            try await stack.batches(as: "operator") { client throws in
                let locked = await rpcError {
                    try await client.recordFields(.with { $0.number = "B-950"; $0.values = ["smelter-production-date": "2025-01-05"] })
                }
                #expect(locked?.code == .failedPrecondition)
                #expect(locked?.message.contains("read-only") == true)
            }
        }
    }
}
