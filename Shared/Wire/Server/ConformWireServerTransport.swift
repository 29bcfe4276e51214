public import GRPCCore
public import Logging
public import NIOCore
public import NIOPosix
import NIOSSL
import Synchronization

/// A GRPCCore server transport speaking the Conform wire protocol over TLS.
///
/// Each accepted connection runs in its own child task, and each call in a child task of
/// its connection; a failing connection is closed alone and never takes the listener down.
public final class ConformWireServerTransport: ServerTransport, Sendable {
    public typealias Bytes = WireBytes

    private struct AcceptedConnection: Sendable {
        let handle: WireConnectionHandle
        let accepted: AsyncStream<AcceptedStream>
    }

    private struct State {
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: WireConnectionHandle] = [:]
        var shuttingDown = false
    }

    private let host: String
    private let port: Int
    private let tls: WireServerTLS
    private let config: WireConnectionConfig
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    /// Caps the port's connections and times their handshakes.
    public let connectionGuard: ConnectionGuard
    private let state = Mutex(State())
    private let address: EventLoopPromise<SocketAddress>

    /// - Parameters:
    ///   - host: the address to listen on, e.g. "127.0.0.1" or "0.0.0.0".
    ///   - port: the port; 0 picks a free one (see `listeningAddress`).
    public init(
        host: String,
        port: Int,
        tls: WireServerTLS,
        config: WireConnectionConfig = WireConnectionConfig(),
        connectionLimits: ConnectionGuard.Limits = ConnectionGuard.Limits(),
        eventLoopGroup: MultiThreadedEventLoopGroup = .singletonMultiThreadedEventLoopGroup,
        logger: Logger = Logger(label: "conform.wire.server")
    ) {
        self.connectionGuard = ConnectionGuard(port: "wire", limits: connectionLimits, logger: logger)
        self.host = host
        self.port = port
        self.tls = tls
        self.config = config
        self.group = eventLoopGroup
        self.logger = logger
        self.address = eventLoopGroup.any().makePromise(of: SocketAddress.self)
    }

    deinit {
        // A transport dropped before it listened (its server's start cancelled early) leaves no
        // waiter hanging, and no unfulfilled promise, which NIO's debug builds treat as a crash.
        // Once it has listened this changes nothing: a completed promise ignores it.
        self.address.fail(RuntimeError(code: .transportError, message: "the Conform wire transport was discarded before it listened"))
    }

    /// The address the transport listens on, once it does.
    public var listeningAddress: SocketAddress {
        get async throws { try await self.address.futureResult.get() }
    }

    public func listen(
        streamHandler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void
    ) async throws {
        let listener: NIOAsyncChannel<AcceptedConnection, Never>
        do {
            let config = try self.config.validated()
            let sslContext = try NIOSSLContext(configuration: self.tls.makeConfiguration())
            let logger = self.logger
            let connectionGuard = self.connectionGuard
            listener = try await ServerBootstrap(group: self.group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: 256)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .bind(host: self.host, port: self.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try Self.configure(channel, sslContext: sslContext, config: config, connectionGuard: connectionGuard, logger: logger)
                    }
                }
        } catch {
            let failure = RuntimeError(
                code: .transportError,
                message: "cannot listen for Conform wire connections on \(self.host):\(self.port): \(error)",
                cause: error
            )
            self.address.fail(failure)
            throw failure
        }

        let shutDownEarly = self.state.withLock { state in
            state.listener = listener.channel
            return state.shuttingDown
        }
        if let address = listener.channel.localAddress {
            self.address.succeed(address)
        }
        if shutDownEarly {
            listener.channel.close(promise: nil)
        }
        self.logger.info("listening", metadata: ["address": "\(listener.channel.localAddress.map { "\($0)" } ?? "?")"])

        try await withThrowingDiscardingTaskGroup { group in
            try await listener.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask {
                        await self.serve(connection, streamHandler: streamHandler)
                    }
                }
            }
        }
    }

    private func serve(
        _ connection: AcceptedConnection,
        streamHandler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void
    ) async {
        let key = connection.handle.key
        let drainNow = self.state.withLock { state in
            state.connections[key] = connection.handle
            return state.shuttingDown
        }
        if drainNow {
            connection.handle.execute { $0.drain(reason: "the server is shutting down") }
        }
        await withDiscardingTaskGroup { calls in
            for await call in connection.accepted {
                calls.addTask {
                    // Binds the handle as a task local, so handlers can use withRPCCancellationHandler.
                    await withServerContextRPCCancellationHandle { cancellation in
                        connection.handle.execute { $0.attachCancellation(call.wireStream, cancellation) }
                        await streamHandler(call.stream, call.context(cancellation: cancellation))
                    }
                    // A handler that returned without a status still must not leave the client waiting.
                    connection.handle.execute { $0.handlerFinished(call.wireStream) }
                }
            }
        }
        // Normally the connection is closed already; if this task was cancelled, close it now.
        connection.handle.execute { $0.close(reason: "the server stopped serving this connection") }
        self.state.withLock { _ = $0.connections.removeValue(forKey: key) }
    }

    private static func configure(
        _ channel: any Channel,
        sslContext: NIOSSLContext,
        config: WireConnectionConfig,
        connectionGuard: ConnectionGuard,
        logger: Logger
    ) throws -> AcceptedConnection {
        guard connectionGuard.admit(channel) else {
            throw ConnectionRefused()
        }
        // NIO neither closes nor serves a child whose initializer fails: close it here, so the
        // guard's count goes down and the descriptor is freed.
        do {
            let (accepted, continuation) = AsyncStream.makeStream(of: AcceptedStream.self)
            let handler = WireConnectionHandler(role: .server(accepted: continuation), config: config, logger: logger)
            let pipeline = channel.pipeline.syncOperations
            let tlsHandler = NIOSSLServerHandler(context: sslContext)
            try pipeline.addHandler(tlsHandler)
            try connectionGuard.watchHandshake(on: channel, after: tlsHandler)
            try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameSize: config.maxFrameSize)))
            try pipeline.addHandler(handler)
            return AcceptedConnection(handle: handler.handle, accepted: accepted)
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// The calls open on all connections at this moment (for metrics and tests).
    public func openCallCount() async -> Int {
        let connections = self.state.withLock { Array($0.connections.values) }
        var total = 0
        for connection in connections {
            let handler = connection.handler
            total += (try? await handler.eventLoop.submit { handler.value.streams.count }.get()) ?? 0
        }
        return total
    }

    /// Stops accepting connections, sends GOAWAY on each one, lets in-flight calls finish
    /// and closes every connection as its last call ends. `listen` returns after that.
    public func beginGracefulShutdown() {
        let (listener, connections) = self.state.withLock { state in
            state.shuttingDown = true
            return (state.listener, Array(state.connections.values))
        }
        self.connectionGuard.beginClosing()
        listener?.close(promise: nil)
        for connection in connections {
            connection.execute { $0.drain(reason: "the server is shutting down") }
        }
    }
}
