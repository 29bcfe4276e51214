public import ConformProtos
public import ConformStorage
public import GRPCCore
import ServiceLifecycle
public import Logging

/// The standard `grpc.health.v1.Health` service: SERVING while the service's database
/// answers, NOT_SERVING while it does not.
public struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    private let database: Database
    /// The service names this server answers for besides "" (the server as a whole).
    private let serviceNames: Set<String>
    private let watchInterval: Duration
    private let logger: Logger

    public init(database: Database, serviceNames: Set<String>, watchInterval: Duration = .seconds(5), logger: Logger) {
        self.database = database
        self.serviceNames = serviceNames
        self.watchInterval = watchInterval
        self.logger = logger
    }

    public func check(
        request: Grpc_Health_V1_HealthCheckRequest,
        context: ServerContext
    ) async throws -> Grpc_Health_V1_HealthCheckResponse {
        guard request.service.isEmpty || self.serviceNames.contains(request.service) else {
            throw RPCError(code: .notFound, message: "this server does not serve '\(request.service)'; known: \(self.serviceNames.sorted().joined(separator: ", "))")
        }
        let status = await self.currentStatus()
        return .with { $0.status = status }
    }

    public func watch(
        request: Grpc_Health_V1_HealthCheckRequest,
        response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {
        guard request.service.isEmpty || self.serviceNames.contains(request.service) else {
            try await response.write(.with { $0.status = .serviceUnknown })
            return
        }
        try await untilCancelled(context) {
            var last: Grpc_Health_V1_HealthCheckResponse.ServingStatus?
            while true {
                let status = await self.currentStatus()
                if status != last {
                    try await response.write(.with { $0.status = status })
                    last = status
                }
                // A watch lasts as long as its client wants; a draining server ends it.
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.watchInterval) }
                } catch is CancellationError where Task.isShuttingDownGracefully {
                    try await response.write(.with { $0.status = .notServing })
                    return
                }
            }
        }
    }

    private func currentStatus() async -> Grpc_Health_V1_HealthCheckResponse.ServingStatus {
        do {
            _ = try await self.database.read(logger: self.logger) { connection in
                try await connection.query("SELECT 1", logger: self.logger)
            }
            return .serving
        } catch {
            self.logger.warning("health check: database not answering", metadata: ["error": "\(error)"])
            return .notServing
        }
    }
}
