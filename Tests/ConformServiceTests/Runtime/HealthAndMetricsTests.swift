import ConformProtos
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GRPCCore
import Testing

@Suite("Health and metrics", .timeLimit(.minutes(5)))
struct HealthAndMetricsTests {
    @Test("grpc.health.v1 answers SERVING over both transports, NOT_FOUND for a service it does not serve")
    func health() async throws {
        try await withRequirementService(suite: "health") { service in
            try await service.withClient(tls: try ServicePKI.shared().principal("operator").wireClient()) { client throws in
                let health = Grpc_Health_V1_Health.Client(wrapping: client)
                #expect(try await health.check(.init()).status == .serving)
                #expect(try await health.check(.with { $0.service = "conform.requirement.v1.RequirementService" }).status == .serving)
                let error = await rpcError { try await health.check(.with { $0.service = "nope" }) }
                #expect(error?.code == .notFound)
            }
            try await service.withHTTP2Client(as: "operator") { client throws in
                #expect(try await Grpc_Health_V1_Health.Client(wrapping: client).check(.init()).status == .serving)
            }
            // Health probes are frequent and read nothing: they stay out of the audit trail.
            #expect(try await service.auditEntries().allSatisfy { !$0.action.hasPrefix("grpc.health") })
        }
    }

    @Test("the metrics endpoint serves call counts in the Prometheus text format")
    func metrics() async throws {
        try await withRequirementService(suite: "metrics") { service in
            try await service.requirement { client in _ = try await client.listCustomers(.init()) }
            let port = try await service.host.metricsPort()
            let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            let text = String(decoding: data, as: UTF8.self)
            #expect(text.contains("conform_rpc_calls_total{service=\"requirement\",method=\"conform.requirement.v1.RequirementService/ListCustomers\",code=\"ok\"}"))
            let (_, missing) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/nothing")!)
            #expect((missing as? HTTPURLResponse)?.statusCode == 404)
        }
    }
}
