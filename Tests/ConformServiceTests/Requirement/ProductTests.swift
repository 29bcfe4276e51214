import ConformProtos
import GRPCCore
import Testing

@Suite("Products over the wire", .timeLimit(.minutes(5)))
struct ProductTests {
    @Test("products are created, read back, listed, and filtered by family")
    func createGetList() async throws {
        try await withRequirementService(suite: "products") { service in
            try await service.requirement { client in
                let bracket = try await client.createProduct(
                    .with { $0.code = "abc"; $0.name = "Bracket assembly ABC"; $0.family = "brackets"; $0.description_p = "Welded" }
                )
                #expect(bracket.code == "ABC")
                #expect(bracket.family == "BRACKETS")
                _ = try await client.createProduct(.with { $0.code = "FAST-M8"; $0.name = "M8 fastener 12.9"; $0.family = "FASTENERS" })
                _ = try await client.createProduct(.with { $0.code = "FAST-M10"; $0.name = "M10 fastener 12.9"; $0.family = "FASTENERS" })

                #expect(try await client.getProduct(.with { $0.code = "ABC" }) == bracket)
                #expect(try await client.listProducts(.init()).products.map(\.code) == ["ABC", "FAST-M10", "FAST-M8"])
                #expect(try await client.listProducts(.with { $0.family = "fasteners" }).products.map(\.code) == ["FAST-M10", "FAST-M8"])

                let duplicate = await #expect(throws: RPCError.self) {
                    try await client.createProduct(.with { $0.code = "ABC"; $0.name = "Again" })
                }
                #expect(duplicate?.code == .alreadyExists)
                let bad = await #expect(throws: RPCError.self) { try await client.createProduct(.with { $0.code = "X" }) }
                #expect(bad?.code == .invalidArgument)
                #expect(bad?.message.hasPrefix("name") == true)
                let badPage = await #expect(throws: RPCError.self) { try await client.listProducts(.with { $0.pageSize = 501 }) }
                #expect(badPage?.code == .invalidArgument)
            }
        }
    }

    @Test("an operator may read products but not create them")
    func operatorRole() async throws {
        try await withRequirementService(suite: "prodrole") { service in
            try await service.requirement(as: "operator") { client throws in
                #expect(try await client.listProducts(.init()).products.isEmpty)
                let error = await #expect(throws: RPCError.self) {
                    try await client.createProduct(.with { $0.code = "ABC"; $0.name = "Bracket" })
                }
                #expect(error?.code == .permissionDenied)
                #expect(error?.message.contains("quality-engineer") == true)
            }
        }
    }
}
