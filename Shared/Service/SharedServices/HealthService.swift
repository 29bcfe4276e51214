public import ConformProtos
public import ConformStorage
public import GRPCCore
import ServiceLifecycle
import Synchronization
public import Logging

/// The standard `grpc.health.v1.Health` service: SERVING while the service takes calls and its
/// database answers, NOT_SERVING otherwise. The name `liveness` answers SERVING
/// whenever the process can answer at all: restarting a service does not bring its database back.
public struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    /// The service name an orchestrator's liveness probe asks for.
    public static let liveness = "liveness"

    private let database: Database
    private let state: ServingState
    /// The service names this server answers for besides "" (the server as a whole).
    private let serviceNames: Set<String>
    private let watchInterval: Duration
    private let logger: Logger

    public init(
        database: Database, serviceNames: Set<String>, state: ServingState = ServingState(), watchInterval: Duration = .seconds(5), logger: Logger
    ) {
        self.database = database
        self.state = state
        self.serviceNames = serviceNames
        self.watchInterval = watchInterval
        self.logger = logger
    }

    public func check(
        request: Grpc_Health_V1_HealthCheckRequest,
        context: ServerContext
    ) async throws -> Grpc_Health_V1_HealthCheckResponse {
        if request.service == Self.liveness {
            return .with { $0.status = .serving }
        }
        guard request.service.isEmpty || self.serviceNames.contains(request.service) else {
            let known = ([Self.liveness] + self.serviceNames.sorted()).joined(separator: ", ")
            throw RPCError(code: .notFound, message: "this server does not serve '\(request.service)'; known: \(known), or \"\" for the server as a whole")
        }
        let status = await self.currentStatus()
        return .with { $0.status = status }
    }

    public func watch(
        request: Grpc_Health_V1_HealthCheckRequest,
        response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {
        guard request.service.isEmpty || request.service == Self.liveness || self.serviceNames.contains(request.service) else {
            try await response.write(.with { $0.status = .serviceUnknown })
            return
        }
        try await untilCancelled(context) {
            var last: Grpc_Health_V1_HealthCheckResponse.ServingStatus?
            while true {
                let status = request.service == Self.liveness ? .serving : await self.currentStatus()
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
        guard self.state.isServing else { return .notServing }
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

/// Where a service is in its life, as its readiness reports it: not ready while it migrates and
/// binds its ports, ready while it serves, not ready again once it drains, so a load balancer or
/// kubelet sends it calls only while it takes them.
public final class ServingState: Sendable {
    /// A service's phases, in order.
    public enum Phase: Sendable {
        case starting
        case serving
        case draining
    }

    private let phase: Mutex<Phase>

    public init(_ phase: Phase = .serving) {
        self.phase = Mutex(phase)
    }

    /// Whether calls are being taken.
    public var isServing: Bool { self.phase.withLock { $0 == .serving } }

    /// Both ports take calls (a drain already begun stays a drain).
    public func markServing() {
        self.phase.withLock { if $0 == .starting { $0 = .serving } }
    }

    /// The graceful drain has begun.
    public func markDraining() { self.phase.withLock { $0 = .draining } }
}
