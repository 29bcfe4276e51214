import Testing

@Suite("A service whose port is taken", .timeLimit(.minutes(1)))
struct PortInUseTests {
    @Test("fails to start, saying which port, instead of hanging")
    func failsFast() async throws {
        try await withRequirementService(suite: "port_first") { first in
            let taken = first.wirePort
            await #expect {
                try await withRequirementService(suite: "port_second", wirePort: taken) { _ in }
            } throws: { error in
                "\(error)".contains("cannot listen for Conform wire connections on 127.0.0.1:\(taken)")
            }
        }
    }
}
