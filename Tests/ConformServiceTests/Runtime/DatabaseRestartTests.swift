import ConformProtos
import GRPCCore
import Testing

@Suite("Surviving a database restart", .timeLimit(.minutes(3)))
struct DatabaseRestartTests {
    @Test("calls fail as UNAVAILABLE while PostgreSQL is down and succeed again once it is back, without restarting the service")
    func restart() async throws {
        let cluster = try await PostgresCluster.start()
        do {
            try await withRequirementService(suite: "restart", settings: { $0.connectTimeout = .seconds(2) }, postgres: cluster.postgres) { service in
                try await service.requirement { client in
                    _ = try await client.createCustomer(CustomerTests.customerA())

                    try await cluster.stop()
                    let error = await #expect(throws: RPCError.self) {
                        try await client.listCustomers(.init())
                    }
                    #expect(error?.code == .unavailable)
                    #expect(error?.message.contains("database") == true)

                    try await cluster.startAgain()
                    var customers: [String] = []
                    let deadline = ContinuousClock.now + .seconds(30)
                    while ContinuousClock.now < deadline {
                        do {
                            customers = try await client.listCustomers(.init()).customers.map(\.code)
                            break
                        } catch let error as RPCError where error.code == .unavailable {
                            try await Task.sleep(for: .milliseconds(200))
                        }
                    }
                    #expect(customers == ["A"])
                    _ = try await client.createCustomer(.with { $0.code = "B"; $0.name = "Customer B"; $0.industry = .aerospace })
                    #expect(try await client.listCustomers(.init()).customers.map(\.code) == ["A", "B"])
                }
            }
        } catch {
            try? await cluster.destroy()
            throw error
        }
        try await cluster.destroy()
    }
}
