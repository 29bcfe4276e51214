public import GRPCCore
public import Logging
public import NIOCore
public import NIOPosix
import NIOSSL

/// A GRPCCore client transport speaking the Conform wire protocol over TLS to one server.
///
/// All calls share one connection, each on its own stream. `GRPCClient.runConnections()`
/// drives `connect()`, which keeps that connection up until the client shuts down.
public final class ConformWireClientTransport: ClientTransport, Sendable {
    public typealias Bytes = WireBytes

    private let manager: WireConnectionManager
    private let config: WireClientConfig

    /// - Parameters:
    ///   - host: the server's host name or IP address.
    ///   - tls: trust roots, the client's own certificate, and the expected server name.
    public init(
        host: String,
        port: Int,
        tls: WireClientTLS,
        config: WireClientConfig = WireClientConfig(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singletonMultiThreadedEventLoopGroup,
        logger: Logger = Logger(label: "conform.wire.client")
    ) throws {
        _ = try config.connection.validated()
        self.config = config
        self.manager = WireConnectionManager(
            host: host,
            port: port,
            serverHostname: tls.serverHostname,
            sslContext: try NIOSSLContext(configuration: tls.makeConfiguration()),
            config: config,
            group: eventLoopGroup,
            logger: logger
        )
    }

    public var retryThrottle: RetryThrottle? { nil }

    public func connect() async throws {
        // GRPCClient's owner cancels this task when it gives up (withGRPCClient does when its
        // body throws); that must end the connection loop, not leave it retrying forever.
        await withTaskCancellationHandler {
            await self.manager.run()
        } onCancel: {
            self.manager.shutdown()
        }
    }

    public func beginGracefulShutdown() {
        self.manager.shutdown()
    }

    public func config(forMethod descriptor: MethodDescriptor) -> MethodConfig? { nil }

    public func withStream<T: Sendable>(
        descriptor: MethodDescriptor,
        options: CallOptions,
        _ closure: (RPCStream<Inbound, Outbound>, ClientContext) async throws -> T
    ) async throws -> T {
        let connection = try await self.manager.connection(waitForReady: options.waitForReady ?? false)
        let handle = connection.handle
        let window = self.config.connection.initialStreamWindow

        let (parts, continuation) = AsyncThrowingStream.makeStream(of: RPCResponsePart<WireBytes>.self)
        let stream = WireStream(
            inbound: .client(continuation),
            // Not open until the connection puts it on the wire (it may queue for the server's limit).
            flow: OutboundFlow(window: connection.peerSettings.initialStreamWindow, writable: true, open: false),
            receiveWindow: window
        )
        continuation.onTermination = { termination in
            if case .cancelled = termination {
                handle.execute { $0.abandonClientStream(stream, reason: "the client cancelled the call") }
            }
        }
        let inbound = InboundParts(
            parts: parts,
            creditThreshold: max(1, window / 2),
            returnCredit: { bytes in handle.execute { $0.returnCredit(stream, bytes) } }
        )
        let writer = WireClientStreamWriter(
            stream: stream,
            connection: handle,
            method: "/\(descriptor.fullyQualifiedMethod)",
            maxMessageSize: connection.peerSettings.maxFrameSize
        )
        let rpcStream = RPCStream(
            descriptor: descriptor,
            inbound: RPCAsyncSequence(wrapping: inbound),
            outbound: RPCWriter.Closable(wrapping: writer)
        )
        let context = ClientContext(descriptor: descriptor, remotePeer: connection.remotePeer, localPeer: connection.localPeer)

        defer {
            // Whatever happened, a call the server has not finished is cancelled there.
            handle.execute { $0.abandonClientStream(stream, reason: "the client stopped the call before it finished") }
        }
        return try await closure(rpcStream, context)
    }
}
