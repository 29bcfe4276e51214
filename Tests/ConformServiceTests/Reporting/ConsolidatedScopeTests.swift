import ConformDomain
import ConformProtos
import Foundation
import Testing

/// A consolidated batch carries every customer's requirements for its product, and two
/// customers may name a requirement alike: each customer's view keeps to its own.
@Suite("Customer scope on consolidated batches", .timeLimit(.minutes(3)))
struct ConsolidatedScopeTests {
    /// Enough of a JPEG for its type to be recognised.
    static let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3])

    /// A and D both have a CSR-SHARED-1 (an NDT photo); D also wants an X-ray photo.
    static func seedSharedRequirement(_ stack: ServiceStack) async throws {
        try await stack.requirement.catalog { client in
            for (customer, id, kind) in [("A", "CSR-SHARED-1", "ndt"), ("D", "CSR-SHARED-1", "ndt"), ("D", "CSR-D-XRAY", "xray")] {
                _ = try await client.createRequirement(.with {
                    $0.customer = customer; $0.requirementID = id; $0.category = .quality; $0.strength = .mandatory
                    $0.scope = .with { $0.allProducts = true }
                    $0.firstVersion = BatchScenario.version("1.0", from: "2024-01-01", rules: [.with { $0.photos = .with { $0.kind = kind; $0.minimumCount = 1 } }])
                })
            }
        }
        try await stack.batches(as: "quality-engineer") { client in
            _ = try await client.setProductMode(.with { $0.product = "ABC"; $0.consolidated = true })
        }
    }

    @Test("each customer's missed requirement of the same id is its own alert; A's audit report shows only A's requirements and evidence")
    func sharedRequirementID() async throws {
        try await withServiceStack(suite: "consolidated_scope", reporting: true, reportingSettings: AlertTests.fast) { stack in
            let reporting = try #require(stack.reporting)
            try await BatchScenario.seed(stack)
            try await Self.seedSharedRequirement(stack)
            let madeOn = Day.today.adding(days: -1)
            _ = try await stack.batches { client in
                try await client.createBatch(.with { $0.number = "B-CS-1"; $0.product = "ABC"; $0.customer = "A"; $0.manufactureDate = madeOn.description; $0.quantity = 1 })
            }
            let states = try await ComplianceModelTests.await(reporting, batch: "B-CS-1", until: [
                "A/CSR-A-0300": "unsatisfied", "A/CSR-SHARED-1": "unsatisfied",
                "D/CSR-D-0234": "unsatisfied", "D/CSR-SHARED-1": "unsatisfied", "D/CSR-D-XRAY": "unsatisfied",
            ])
            #expect(states.count == 5)

            // One open alert per customer's requirement, though the ids are the same.
            let shared = try await AlertTests.alerts(reporting).filter { $0.subject == "B-CS-1" && $0.requirementID == "CSR-SHARED-1" }
            #expect(shared.map(\.customer).sorted() == ["A", "D"])
            #expect(try await AlertTests.alerts(reporting, customer: "A").filter { $0.subject == "B-CS-1" }.map(\.requirementID).sorted() == ["CSR-A-0300", "CSR-SHARED-1"])

            // An X-ray photo serves only D; an NDT photo serves both customers' CSR-SHARED-1 and A's CSR-A-0300.
            let xray = try await stack.evidence { client in
                try await BatchScenario.upload(client, batch: "B-CS-1", kind: .photo, type: "xray", mediaType: "image/jpeg", content: Self.jpeg)
            }
            let ndt = try await stack.evidence { client in
                try await BatchScenario.upload(client, batch: "B-CS-1", kind: .photo, type: "ndt", mediaType: "image/jpeg", content: Self.jpeg)
            }
            #expect(xray.satisfies == ["D/CSR-D-XRAY v1.0"])
            // By itself it satisfies the rules wanting one photo; A's CSR-A-0300 wants two.
            #expect(Set(ndt.satisfies) == ["A/CSR-SHARED-1 v1.0", "D/CSR-SHARED-1 v1.0"])
            #expect(Set(ndt.concerns) == ["A/CSR-A-0300 v1.0", "A/CSR-SHARED-1 v1.0", "D/CSR-SHARED-1 v1.0"])

            // Once compliance has counted the NDT photo (the feed is read in order, so the X-ray
            // is in too): it satisfies A's CSR-SHARED-1; A's CSR-A-0300 wants two photos.
            _ = try await ComplianceModelTests.await(reporting, batch: "B-CS-1", until: [
                "A/CSR-A-0300": "unsatisfied", "A/CSR-SHARED-1": "satisfied",
                "D/CSR-D-0234": "unsatisfied", "D/CSR-SHARED-1": "satisfied", "D/CSR-D-XRAY": "satisfied",
            ])
            let report = try await eventually({ try await AuditReportTests.report(reporting) { _ in } }, until: { $0.archive.contains { $0.id == ndt.id } })
            #expect(report.archive.map(\.id) == [ndt.id], "D's X-ray is not in A's archive")
            #expect(report.archive.first?.satisfies == ["A/CSR-SHARED-1 v1.0"], "what compliance counted, and no other customer's requirements")
            #expect(Set(report.archive.first?.concerns ?? []) == ["A/CSR-A-0300 v1.0", "A/CSR-SHARED-1 v1.0"])
            #expect(report.batches.map(\.number) == ["B-CS-1"])

            // A's report on a requirement id only D has finds nothing of D's.
            let onXray = try await AuditReportTests.report(reporting) { $0.requirementIds = ["CSR-D-XRAY"] }
            #expect(onXray.archive.isEmpty)
            #expect(onXray.batches.isEmpty)
            let onShared = try await AuditReportTests.report(reporting) { $0.requirementIds = ["CSR-SHARED-1"] }
            #expect(onShared.archive.map(\.id) == [ndt.id])
        }
    }
}
