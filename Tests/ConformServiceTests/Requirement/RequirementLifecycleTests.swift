import ConformProtos
import GRPCCore
import Testing

@Suite("Publishing drafts and retiring requirements, over the wire", .timeLimit(.minutes(5)))
struct RequirementLifecycleTests {
    static func create(_ client: CatalogClient, id: String, first: Conform_Requirement_V1_RequirementVersion) async throws {
        _ = try await client.createRequirement(.with {
            $0.customer = "B"; $0.requirementID = id; $0.category = .traceability; $0.strength = .mandatory
            $0.scope = .with { $0.allProducts = true }
            $0.firstVersion = first
        })
    }

    static func inForce(_ client: CatalogClient, on date: String) async throws -> [String] {
        try await client.resolve(.with { $0.customer = "B"; $0.product = "ABC"; $0.date = date })
            .requirements.map { "\($0.requirementID) \($0.version.number)" }
    }

    @Test("a draft is never enforced until it is published; then it supersedes from its effective date")
    func publishDraft() async throws {
        try await withRequirementService(suite: "publish") { service in
            try await RequirementCatalogTests.seed(service)
            try await service.catalog { client throws in
                try await Self.create(client, id: "CSR-B-0156", first: RequirementCatalogTests.version("1.0", from: "2024-06-15"))
                var draft = RequirementCatalogTests.version("2.0", from: "2025-01-01")
                draft.draft = true
                let revised = try await client.addRequirementVersion(.with { $0.customer = "B"; $0.requirementID = "CSR-B-0156"; $0.version = draft })
                #expect(revised.versions.map(\.status) == ["active", "draft"])
                #expect(try await Self.inForce(client, on: "2025-06-01") == ["CSR-B-0156 1.0"])

                let published = try await client.publishVersion(.with { $0.customer = "B"; $0.requirementID = "CSR-B-0156"; $0.number = "2.0" })
                #expect(published.versions.last?.draft == false)
                #expect(try await Self.inForce(client, on: "2024-12-31") == ["CSR-B-0156 1.0"])
                #expect(try await Self.inForce(client, on: "2025-01-01") == ["CSR-B-0156 2.0"])

                let again = await rpcError { try await client.publishVersion(.with { $0.customer = "B"; $0.requirementID = "CSR-B-0156"; $0.number = "2.0" }) }
                #expect(again?.code == .failedPrecondition)
                #expect(again?.message.contains("published already") == true)
                let missing = await rpcError { try await client.publishVersion(.with { $0.customer = "B"; $0.requirementID = "CSR-B-0156"; $0.number = "3.0" }) }
                #expect(missing?.code == .notFound)
                #expect(missing?.message.contains("its versions are 1.0, 2.0") == true)
            }
            let types = try await service.events().map(\.type)
            #expect(types.contains("requirement.version-published"))
        }
    }

    @Test("a retired requirement holds up to the day before its retirement and never after; it takes no new versions")
    func retire() async throws {
        try await withRequirementService(suite: "retire") { service in
            try await RequirementCatalogTests.seed(service)
            try await service.catalog { client throws in
                try await Self.create(client, id: "CSR-B-0200", first: RequirementCatalogTests.version("1.0", from: "2024-01-01"))
                let early = await rpcError {
                    try await client.retireRequirement(.with { $0.customer = "B"; $0.requirementID = "CSR-B-0200"; $0.retiredOn = "2023-12-31"; $0.reason = "withdrawn" })
                }
                #expect(early?.code == .invalidArgument)
                #expect(early?.message.contains("before B/CSR-B-0200 first took effect") == true)
                let reasonless = await rpcError {
                    try await client.retireRequirement(.with { $0.customer = "B"; $0.requirementID = "CSR-B-0200"; $0.retiredOn = "2025-03-01" })
                }
                #expect(reasonless?.code == .invalidArgument)

                let retired = try await client.retireRequirement(.with {
                    $0.customer = "B"; $0.requirementID = "CSR-B-0200"; $0.retiredOn = "2025-03-01"; $0.reason = "Customer B withdrew it in QSR-B rev. D"
                })
                #expect(retired.retiredOn == "2025-03-01")
                #expect(retired.retirementReason == "Customer B withdrew it in QSR-B rev. D")
                #expect(try await Self.inForce(client, on: "2025-02-28") == ["CSR-B-0200 1.0"])
                #expect(try await Self.inForce(client, on: "2025-03-01") == [])

                let revise = await rpcError {
                    try await client.addRequirementVersion(.with {
                        $0.customer = "B"; $0.requirementID = "CSR-B-0200"; $0.version = RequirementCatalogTests.version("2.0", from: "2025-06-01")
                    })
                }
                #expect(revise?.code == .failedPrecondition)
                #expect(revise?.message.contains("retired requirement takes no new versions") == true)
                let twice = await rpcError {
                    try await client.retireRequirement(.with { $0.customer = "B"; $0.requirementID = "CSR-B-0200"; $0.retiredOn = "2025-04-01"; $0.reason = "again" })
                }
                #expect(twice?.code == .failedPrecondition)
            }
            try await service.catalog(as: "operator") { client throws in
                let denied = await rpcError {
                    try await client.retireRequirement(.with { $0.customer = "B"; $0.requirementID = "CSR-B-0200"; $0.retiredOn = "2025-04-01"; $0.reason = "x" })
                }
                #expect(denied?.code == .permissionDenied)
            }
        }
    }
}
