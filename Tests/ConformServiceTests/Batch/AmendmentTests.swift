import ConformDomain
import ConformProtos
import Foundation
import GRPCCore
import Testing

/// Part 11's way with a correction of a released record: the amendment is itself signed,
/// the signatures made before stay valid for the revision they signed, the roles a rule
/// reserves may sign the amended record, and compliance and the audit report show the
/// amendment trail rather than a non-compliance.
@Suite("Amending a released record", .timeLimit(.minutes(3)))
struct AmendmentTests {
    @Test("an amendment is signed by the quality manager; earlier signatures stay valid for what they signed; the reserved roles sign again; the report shows the trail")
    func signedAmendment() async throws {
        try await withServiceStack(suite: "amend_signed", reporting: true) { stack in
            let reporting = try #require(stack.reporting)
            try await BatchScenario.seed(stack)
            try await BatchScenario.certifyInspector(stack)
            // D also wants the inspection note on its record.
            try await stack.requirement.catalog { client in
                _ = try await client.createRequirement(.with {
                    $0.customer = "D"; $0.requirementID = "CSR-D-0300"; $0.category = .documentation; $0.strength = .mandatory
                    $0.scope = .with { $0.allProducts = true }
                    $0.firstVersion = BatchScenario.version("1.0", from: "2024-01-01", rules: [
                        .with { $0.recordFields = .with { $0.fields = [.with { $0.name = "inspection-note"; $0.type = .text }] } },
                    ])
                })
            }
            let madeOn = Day.today.adding(days: -2).description
            _ = try await stack.batches { client in
                try await client.createBatch(.with { $0.number = "D-AM-1"; $0.product = "ABC"; $0.customer = "D"; $0.manufactureDate = madeOn; $0.quantity = 2 })
            }
            let filled = try await stack.batches { client in
                try await client.recordFields(.with { $0.number = "D-AM-1"; $0.values = ["inspection-note": "visual OK"] })
            }
            let asReleased = filled.recordDigest
            try await stack.evidence(as: "inspector") { client in
                _ = try await BatchScenario.sign(client, target: "batch:D-AM-1", digest: asReleased, meaning: .approved, as: "inspector")
                _ = try await BatchScenario.sign(client, target: "batch:D-AM-1", digest: asReleased, meaning: .reviewed, as: "inspector")
            }
            _ = try await stack.evidence(as: "quality-manager") { client in
                try await BatchScenario.sign(client, target: "batch:D-AM-1", digest: asReleased, meaning: .reviewed, as: "quality-manager")
            }
            #expect(try await ReleaseTests.release(stack, "D-AM-1", digest: asReleased).released)

            // The correction: the record changes, and the amendment keeps both digests.
            let amended = try await stack.batches(as: "quality-manager") { client in
                try await client.amend(.with { $0.number = "D-AM-1"; $0.reason = "note transcribed from the wrong sheet"; $0.values = ["inspection-note": "visual OK, burr on unit 2 removed"] })
            }
            let amendment = try #require(amended.amendments.first)
            // An amendment that changes nothing is refused, naming the request field.
            let nothing = await rpcError {
                try await stack.batches(as: "quality-manager") { client in
                    try await client.amend(.with { $0.number = "D-AM-1"; $0.reason = "again"; $0.values = ["inspection-note": "visual OK, burr on unit 2 removed"] })
                }
            }
            #expect(nothing?.code == .invalidArgument)
            #expect(nothing?.message.hasPrefix("values change nothing") == true)
            #expect(amendment.digestBefore == asReleased)
            #expect(amendment.digestAfter == amended.recordDigest && amended.recordDigest != asReleased)

            // Every signature made before is valid for the record as it signed it, and says so.
            let verified = try await stack.evidence(as: "auditor") { client in try await client.verifySignatures(.with { $0.target = "batch:D-AM-1" }) }
            #expect(verified.checks.count == 4)
            #expect(verified.checks.allSatisfy { $0.valid && $0.note == "made on the record as completed; amended since (amendment 1)" })
            // Compliance still holds on them; the amendment awaits its approval.
            let awaiting = try await stack.batches { client in try await client.compliance(.with { $0.number = "D-AM-1" }) }
            #expect(awaiting.requirements.first { $0.requirementID == "CSR-D-0234" }?.state == .satisfied)
            #expect(awaiting.amendments.map(\.signatureID) == [0])

            try await stack.evidence(as: "quality-engineer") { client throws in
                // Only the quality manager approves an amendment.
                let notTheirs = await rpcError {
                    try await BatchScenario.sign(client, target: "batch:D-AM-1", digest: amended.recordDigest, meaning: .amended, as: "quality-engineer")
                }
                #expect(notTheirs?.code == .permissionDenied)
            }
            let approval = try await stack.evidence(as: "quality-manager") { client in
                try await BatchScenario.sign(client, target: "batch:D-AM-1", digest: amended.recordDigest, meaning: .amended, as: "quality-manager")
            }
            // The certified inspector, whose approval CSR-D-0234 reserves, signs the amended record too.
            let again = try await stack.evidence(as: "inspector") { client in
                try await BatchScenario.sign(client, target: "batch:D-AM-1", digest: amended.recordDigest, meaning: .approved, as: "inspector")
            }
            #expect(again.id > approval.id)
            try await stack.evidence(as: "operator") { client throws in
                // A signature no rule reserves is not taken on the amended record, nor evidence.
                let unreserved = await rpcError {
                    try await BatchScenario.sign(client, target: "batch:D-AM-1", digest: amended.recordDigest, meaning: .authored, as: "operator")
                }
                #expect(unreserved?.code == .invalidArgument)
                let late = await rpcError { try await BatchScenario.upload(client, batch: "D-AM-1", type: "inspection-record") }
                #expect(late?.code == .failedPrecondition)
            }
            let approved = try await stack.batches { client in try await client.compliance(.with { $0.number = "D-AM-1" }) }
            #expect(approved.amendments.map(\.signatureID) == [approval.id])
            #expect(approved.amendments.first?.signedBy == "Dana Reyes")
            #expect(approved.requirements.allSatisfy { $0.state == .satisfied })

            // Two more amendments, the first left unapproved: a signature of the record as it ends
            // up approves both, since it approves the record as amended.
            var latest = amended
            for (index, note) in ["visual OK, burr on unit 2 removed, re-inspected", "visual OK; burr on unit 2 removed and re-inspected"].enumerated() {
                latest = try await stack.batches(as: "quality-manager") { client in
                    try await client.amend(.with { $0.number = "D-AM-1"; $0.reason = "wording \(index + 2)"; $0.values = ["inspection-note": note] })
                }
            }
            let latestDigest = latest.recordDigest
            let both = try await stack.evidence(as: "quality-manager") { client in
                try await BatchScenario.sign(client, target: "batch:D-AM-1", digest: latestDigest, meaning: .amended, as: "quality-manager")
            }
            let trail = try await stack.batches { client in try await client.compliance(.with { $0.number = "D-AM-1" }) }
            #expect(trail.amendments.map(\.signatureID) == [approval.id, both.id, both.id])
            // A release's role is not for an amended record, even from a Conform service.
            try await stack.evidence(as: "reporting") { client throws in
                let (manifest, signature) = try BatchScenario.managerKey.sign(
                    target: "batch:D-AM-1", digest: latestDigest, meaning: .approved, signer: "quality-manager", printedName: "Dana Reyes"
                )
                let misuse = await rpcError {
                    try await client.sign(.with { $0.manifest = manifest; $0.signature = signature; $0.requiredRole = "quality-manager"; $0.releaseBasis = "sha256:" + String(repeating: "0", count: 64) })
                }
                #expect(misuse?.code == .invalidArgument)
                #expect(misuse?.message.hasPrefix("required_role is for a release") == true)
            }

            // The audit report: compliant, with the amendment and its approval, not a false non-compliance.
            let lines = [
                "amendment 1 by quality-manager: note transcribed from the wrong sheet; approved by Dana Reyes (signature \(approval.id))",
                "amendment 2 by quality-manager: wording 2; approved by Dana Reyes (signature \(both.id))",
                "amendment 3 by quality-manager: wording 3; approved by Dana Reyes (signature \(both.id))",
            ]
            let report = try await eventually(
                { try await AuditReportTests.report(reporting, as: "auditor") { $0.customer = "D"; $0.days = 30 } },
                until: { $0.batches.first { $0.number == "D-AM-1" }?.amendments == lines }
            )
            let reported = try #require(report.batches.first { $0.number == "D-AM-1" })
            #expect(reported.outcome == .compliant)
            #expect(reported.amendments == lines)
        }
    }
}
