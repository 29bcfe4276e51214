import ConformProtos
import GRPCCore
import Testing

@Suite("Idempotent writes", .timeLimit(.minutes(5)))
struct IdempotencyTests {
    static func key(_ key: String) -> Metadata { ["idempotency-key": "\(key)"] }

    @Test("a retried write with its key returns the first answer and changes nothing")
    func retryReturnsFirstAnswer() async throws {
        try await withRequirementService(suite: "idem") { service in
            try await service.requirement { client in
                let request = CustomerTests.customerA()
                let first = try await client.createCustomer(request, metadata: Self.key("k-1"))
                let retry = try await client.createCustomer(request, metadata: Self.key("k-1"))
                #expect(retry == first)
                #expect(try await client.listCustomers(.init()).customers.count == 1)
            }
            #expect(try await service.auditEntries().filter { $0.outcome == .write }.count == 1)
            #expect(try await service.events().count == 1)
        }
    }

    @Test("the same key with a different request is refused with FAILED_PRECONDITION")
    func keyReuseRefused() async throws {
        try await withRequirementService(suite: "idemreuse") { service in
            try await service.requirement { client in
                _ = try await client.createCustomer(CustomerTests.customerA(), metadata: Self.key("k-2"))
                var other = CustomerTests.customerA()
                other.code = "B"
                let error = await #expect(throws: RPCError.self) { try await client.createCustomer(other, metadata: Self.key("k-2")) }
                #expect(error?.code == .failedPrecondition)
                #expect(error?.message.contains("k-2") == true)
                let missing = await #expect(throws: RPCError.self) { try await client.getCustomer(.with { $0.code = "B" }) }
                #expect(missing?.code == .notFound)
            }
        }
    }

    @Test("concurrent first uses of one key write once and answer alike")
    func concurrentRetries() async throws {
        try await withRequirementService(suite: "idemrace") { service in
            try await service.requirement { client in
                let answers = try await withThrowingTaskGroup(of: Conform_Requirement_V1_Customer.self) { group in
                    for _ in 0..<8 {
                        group.addTask { try await client.createCustomer(CustomerTests.customerA(), metadata: Self.key("k-3")) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(Set(answers.map(\.createdAtMicros)).count == 1)
                #expect(try await client.listCustomers(.init()).customers.count == 1)
            }
        }
    }

    @Test("a refused write stores no answer under its key: a retry is refused the same way")
    func failedWriteKeepsNothing() async throws {
        try await withRequirementService(suite: "idemfail") { service in
            try await service.requirement { client in
                _ = try await client.createCustomer(CustomerTests.customerA())
                for _ in 0..<2 {
                    let error = await #expect(throws: RPCError.self) {
                        try await client.createCustomer(CustomerTests.customerA(), metadata: Self.key("k-4"))
                    }
                    #expect(error?.code == .alreadyExists)
                }
            }
        }
    }
}
