import ConformProtos
import GRPCCore
import Testing

@Suite("Contract review (ISO 9001 8.2.2 / 8.2.3) over the wire", .timeLimit(.minutes(5)))
struct ContractReviewTests {
    /// Customer B orders ABC under "Frame B-77"; B requires CSR-B-0156 (mandatory) and CSR-B-0892 (preferred).
    static func prepare(_ service: RunningService) async throws {
        try await RequirementCatalogTests.seed(service)
        try await service.catalog { client in
            _ = try await client.linkProduct(.with { $0.customer = "B"; $0.product = "FAST-M8"; $0.contractReference = "Frame B-77" })
            for (id, strength) in [("CSR-B-0156", Conform_Requirement_V1_RequirementStrength.mandatory), ("CSR-B-0892", .preferred)] {
                _ = try await client.createRequirement(
                    .with {
                        $0.customer = "B"
                        $0.requirementID = id
                        $0.category = .traceability
                        $0.strength = strength
                        $0.scope = .with { $0.allProducts = true }
                        $0.firstVersion = RequirementCatalogTests.version("1.0", from: "2024-06-15")
                    }
                )
            }
        }
    }

    @Test("every applicable requirement is listed; acceptance waits for every decision and for every mandatory one to be met; it is signed")
    func reviewAndAccept() async throws {
        try await withRequirementService(suite: "review") { service in
            try await Self.prepare(service)
            let review = try await service.catalog { client in
                try await client.startContractReview(.with { $0.customer = "B"; $0.contractReference = "Frame B-77"; $0.date = "2025-01-05" })
            }
            #expect(review.items.map(\.requirementID) == ["CSR-B-0156", "CSR-B-0892"])
            #expect(review.items.allSatisfy { $0.decision == .pending })
            #expect(review.status == .open)

            try await service.catalog(as: "quality-manager") { client in
                let undecided = await rpcError { try await client.acceptContractReview(.with { $0.reviewID = review.id }) }
                #expect(undecided?.code == .failedPrecondition)
                #expect(undecided?.message.contains("#1 CSR-B-0156 v1.0") == true)
            }
            try await service.catalog { client in
                _ = try await client.decideReviewItem(.with { $0.reviewID = review.id; $0.position = 1; $0.decision = .cannotMeet })
                _ = try await client.decideReviewItem(.with { $0.reviewID = review.id; $0.position = 2; $0.decision = .cannotMeet })
                let stated = try await client.addStatedRequirement(
                    .with { $0.reviewID = review.id; $0.statement = "Parts packed in ESD bags"; $0.decision = .canMeet }
                )
                #expect(stated.items.last?.requirementID == "")
                let noRecord = await rpcError {
                    try await client.decideReviewItem(.with { $0.reviewID = review.id; $0.position = 1; $0.decision = .deviationAgreed })
                }
                #expect(noRecord?.message.hasPrefix("note") == true)
            }
            try await service.catalog(as: "quality-manager") { client in
                let unmet = await rpcError { try await client.acceptContractReview(.with { $0.reviewID = review.id }) }
                #expect(unmet?.message.contains("mandatory requirements cannot be met: #1 CSR-B-0156 v1.0") == true)
                #expect(unmet?.message.contains("CSR-B-0892") == false)
            }
            try await service.catalog { client in
                _ = try await client.decideReviewItem(
                    .with { $0.reviewID = review.id; $0.position = 1; $0.decision = .deviationAgreed; $0.note = "Labels instead of QR until March; e-mail S. Reyes 2025-01-04" }
                )
                let denied = await rpcError { try await client.acceptContractReview(.with { $0.reviewID = review.id }) }
                #expect(denied?.code == .permissionDenied)
            }
            try await service.catalog(as: "quality-manager") { client in
                let accepted = try await client.acceptContractReview(.with { $0.reviewID = review.id })
                #expect(accepted.status == .accepted)
                #expect(accepted.acceptedBy == "quality-manager")
                let locked = await rpcError {
                    try await client.decideReviewItem(.with { $0.reviewID = review.id; $0.position = 2; $0.decision = .canMeet })
                }
                #expect(locked?.code == .failedPrecondition)
            }
        }
    }

    @Test("a new version of a reviewed requirement flags an accepted open contract for re-review, and not a closed one")
    func rereview() async throws {
        try await withRequirementService(suite: "rereview") { service in
            try await Self.prepare(service)
            var ids: [UInt64] = []
            for _ in 0..<2 {
                let review = try await service.catalog { client in
                    let review = try await client.startContractReview(.with { $0.customer = "B"; $0.contractReference = "Frame B-77" })
                    for item in review.items {
                        _ = try await client.decideReviewItem(.with { $0.reviewID = review.id; $0.position = item.position; $0.decision = .canMeet })
                    }
                    return review
                }
                try await service.catalog(as: "quality-manager") { client in
                    _ = try await client.acceptContractReview(.with { $0.reviewID = review.id })
                }
                ids.append(review.id)
            }
            try await service.catalog { client in
                _ = try await client.closeContract(.with { $0.reviewID = ids[1] })
                _ = try await client.addRequirementVersion(
                    .with { $0.customer = "B"; $0.requirementID = "CSR-B-0156"; $0.version = RequirementCatalogTests.version("2.0", from: "2025-01-01") }
                )
                let open = try await client.getContractReview(.with { $0.reviewID = ids[0] })
                #expect(open.needsRereview == "CSR-B-0156 has a new version 2.0, effective 2025-01-01")
                let closed = try await client.getContractReview(.with { $0.reviewID = ids[1] })
                #expect(closed.needsRereview == "")
                let none = await rpcError {
                    try await client.startContractReview(.with { $0.customer = "B"; $0.contractReference = "No such contract" })
                }
                #expect(none?.code == .failedPrecondition)
            }
            #expect(try await service.events().contains { $0.type == "contract-review.rereview-needed" && $0.subject == "contract-review:\(ids[0])" })
        }
    }
}
