public import ConformWire
public import GRPCCore
public import GRPCNIOTransportHTTP2
public import Logging
public import NIOCore
public import NIOPosix

/// One set of services and interceptors served twice: over the Conform wire, and over
/// standard gRPC (HTTP/2) so any stock gRPC client can call it. Both use mutual TLS.
public final class ConformServer: Sendable {
    public let wireTransport: ConformWireServerTransport
    public let grpcTransport: HTTP2ServerTransport.Posix
    /// Admission on the HTTP/2 port; the wire port's is `wireTransport.connectionGuard`.
    public let grpcGuard: ConnectionGuard
    private let wireServer: GRPCServer<ConformWireServerTransport>
    private let grpcServer: GRPCServer<HTTP2ServerTransport.Posix>

    /// - Parameters:
    ///   - wirePort: the Conform wire port (0 picks a free one).
    ///   - grpcPort: the HTTP/2 gRPC port (0 picks a free one).
    ///   - limits: what one caller may hold on either port; both ports follow the same rules.
    ///   - wireConfig: the wire's connection settings in full, instead of those `limits` implies.
    public init(
        services: [any RegistrableRPCService],
        interceptors: [any ServerInterceptor] = [],
        host: String,
        wirePort: Int,
        grpcPort: Int,
        tls: ServiceTLS,
        limits: ConnectionLimits = ConnectionLimits(),
        wireConfig: WireConnectionConfig? = nil,
        eventLoopGroup: MultiThreadedEventLoopGroup = .singletonMultiThreadedEventLoopGroup,
        logger: Logger = Logger(label: "conform.server")
    ) throws {
        self.wireTransport = ConformWireServerTransport(
            host: host,
            port: wirePort,
            tls: try tls.wireServer(),
            config: wireConfig ?? limits.wire,
            connectionLimits: limits.admission,
            eventLoopGroup: eventLoopGroup,
            logger: logger
        )
        let grpcGuard = ConnectionGuard(port: "grpc", limits: limits.admission, logger: logger)
        self.grpcGuard = grpcGuard
        self.grpcTransport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: host, port: grpcPort),
            transportSecurity: tls.http2Server(),
            config: limits.http2(guard: grpcGuard),
            eventLoopGroup: eventLoopGroup
        )
        self.wireServer = GRPCServer(transport: self.wireTransport, services: services, interceptors: interceptors)
        self.grpcServer = GRPCServer(transport: self.grpcTransport, services: services, interceptors: interceptors)
    }

    /// Serves on both ports until `beginGracefulShutdown()`; if either fails, both stop.
    public func serve() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.wireServer.serve() }
            group.addTask { try await self.grpcServer.serve() }
            // Not waitForAll(): it waits for every child before it reports an error, and the
            // other server would serve on alone, so a port already in use would hang the start.
            do {
                while try await group.next() != nil {}
            } catch {
                self.beginGracefulShutdown()
                throw error
            }
        }
    }

    /// Stops accepting calls on both transports and lets in-flight calls finish; connections
    /// with no call open, or still in their handshake, close at once.
    public func beginGracefulShutdown() {
        self.grpcGuard.beginClosing()
        self.wireServer.beginGracefulShutdown()
        self.grpcServer.beginGracefulShutdown()
    }

    /// The bound Conform wire port.
    public var wirePort: Int {
        get async throws { try await self.wireTransport.listeningAddress.port ?? 0 }
    }

    /// The bound HTTP/2 gRPC port.
    public var grpcPort: Int {
        get async throws {
            let address = try await self.grpcTransport.listeningAddress
            return address.ipv4?.port ?? address.ipv6?.port ?? 0
        }
    }
}
