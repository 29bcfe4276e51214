public import GRPCCore
import GRPCNIOTransportHTTP2
public import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle

/// Serves `grpc.health.v1.Health` alone over plaintext HTTP/2, for orchestrators' gRPC probes:
/// Kubernetes' kubelet cannot present a client certificate, so it cannot use the service's
/// mutual-TLS ports. Nothing else is served here, so nothing here reads or changes a record.
public struct ProbeEndpoint: Service {
    private let host: String
    private let port: Int
    private let health: HealthService
    private let logger: Logger
    private let onBound: @Sendable (Int) -> Void

    public init(host: String, port: Int, health: HealthService, logger: Logger, onBound: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.host = host
        self.port = port
        self.health = health
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        var config = HTTP2ServerTransport.Posix.Config.defaults
        // A probe is one small call; a few connections at once is all a kubelet makes.
        config.http2.maxConcurrentStreams = 16
        config.connection.maxIdleTime = .seconds(60)
        config.rpc.maxRequestPayloadSize = 4096
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: self.host, port: self.port),
            transportSecurity: .plaintext,
            config: config,
            eventLoopGroup: .singletonMultiThreadedEventLoopGroup
        )
        let server = GRPCServer(transport: transport, services: [self.health])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            let address = try await transport.listeningAddress
            let bound = address.ipv4?.port ?? address.ipv6?.port ?? self.port
            self.logger.info("probe endpoint listening", metadata: ["address": "\(self.host):\(bound)", "serves": "grpc.health.v1.Health, plaintext"])
            self.onBound(bound)
            // Kept until the calls have drained (the group stops it after the server), so a
            // kubelet sees NOT_SERVING while draining rather than a refused connection.
            try? await gracefulShutdown()
            server.beginGracefulShutdown()
            try await group.waitForAll()
        }
    }
}
