import ConformProtos
import ConformService
import GRPCCore
import GRPCNIOTransportHTTP2
import ServiceLifecycle
import Testing

/// Kubernetes' gRPC probes connect in plaintext, with no certificate: the probe port answers
/// them with health and nothing else.
@Suite("Probe endpoint", .timeLimit(.minutes(5)))
struct ProbeEndpointTests {
    @Test("the probe port answers grpc.health.v1 in plaintext, liveness included, and serves nothing else")
    func plaintextHealthOnly() async throws {
        try await withRequirementService(suite: "probe_port", probePort: 0) { service in
            let port = try await service.host.probePort()
            try await withPlaintextClient(port: port) { client throws in
                let health = Grpc_Health_V1_Health.Client(wrapping: client)
                #expect(try await health.check(.init()).status == .serving)
                #expect(try await health.check(.with { $0.service = HealthService.liveness }).status == .serving)
                #expect(try await health.check(.with { $0.service = "conform.requirement.v1.RequirementService" }).status == .serving)
                let unknown = await rpcError { try await health.check(.with { $0.service = "nope" }) }
                #expect(unknown?.code == .notFound)
                #expect(unknown?.message.contains("liveness") == true)
                // The service's own API is not here: without a certificate, nothing but health.
                let refused = await rpcError {
                    try await Conform_Requirement_V1_RequirementService.Client(wrapping: client).listCustomers(.init())
                }
                #expect(refused?.code == .unimplemented)
            }
            // Probes stay out of the audit trail, as health does on the service's own ports.
            #expect(try await service.auditEntries().allSatisfy { !$0.action.hasPrefix("grpc.health") })
        }
    }

    @Test("a starting or draining service is not ready but still alive, so a kubelet routes calls only while it takes them, and never restarts it for that")
    func readinessFollowsTheServingPhase() async throws {
        try await withRequirementService(suite: "probe_drain") { service in
            let state = ServingState(.starting)
            let health = HealthService(database: service.host.database, serviceNames: [], state: state, logger: .test)
            let bound = AsyncStream<Int>.makeStream()
            let endpoint = ProbeEndpoint(host: "127.0.0.1", port: 0, health: health, logger: .test) { bound.continuation.yield($0) }
            // Run as the service host runs it: in a service group, stopped by a graceful shutdown.
            let lifecycle = ServiceGroup(services: [endpoint], logger: .test)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await lifecycle.run() }
                var ports = bound.stream.makeAsyncIterator()
                let port = try #require(await ports.next())
                try await withPlaintextClient(port: port) { client throws in
                    let probes = Grpc_Health_V1_Health.Client(wrapping: client)
                    let liveness = Grpc_Health_V1_HealthCheckRequest.with { $0.service = HealthService.liveness }
                    #expect(try await probes.check(.init()).status == .notServing)
                    #expect(try await probes.check(liveness).status == .serving)
                    state.markServing()
                    #expect(try await probes.check(.init()).status == .serving)
                    state.markDraining()
                    #expect(try await probes.check(.init()).status == .notServing)
                    #expect(try await probes.check(liveness).status == .serving)
                    state.markServing()
                    #expect(try await probes.check(.init()).status == .notServing)
                }
                await lifecycle.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
    }

    @Test("the probe port is off unless it is configured")
    func offByDefault() async throws {
        try await withRequirementService(suite: "probe_off") { service in
            await #expect(throws: ConfigurationError.self) { try await service.host.probePort() }
        }
    }
}

/// A plaintext HTTP/2 gRPC client, as a kubelet's probe is.
private func withPlaintextClient<Result: Sendable>(
    port: Int,
    _ body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
) async throws -> Result {
    let transport = try HTTP2ClientTransport.Posix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
    return try await withGRPCClient(transport: transport) { client in try await body(client) }
}
