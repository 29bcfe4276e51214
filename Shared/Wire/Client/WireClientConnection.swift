import GRPCCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One established client connection, ready for calls.
final class WireClientConnection: Sendable {
    let channel: any Channel
    let handle: WireConnectionHandle
    let peerSettings: PeerSettings
    /// Completes when the connection stops taking new calls (GOAWAY or close).
    let unusable: EventLoopFuture<Void>
    let remotePeer: String
    let localPeer: String
    /// Cleared on the event loop the moment GOAWAY arrives or the connection closes, so
    /// new calls stop picking this connection before its owner hears of it.
    private let usable: UsableFlag
    let establishedAt = ContinuousClock.now

    final class UsableFlag: Sendable {
        private let value = Atomic<Bool>(true)
        var isSet: Bool { self.value.load(ordering: .acquiring) }
        func clear() { self.value.store(false, ordering: .releasing) }
    }

    var isUsable: Bool { self.usable.isSet }

    private init(channel: any Channel, handle: WireConnectionHandle, peerSettings: PeerSettings, unusable: EventLoopFuture<Void>, usable: UsableFlag) {
        self.channel = channel
        self.handle = handle
        self.peerSettings = peerSettings
        self.unusable = unusable
        self.usable = usable
        self.remotePeer = WireConnectionHandler.describe(channel.remoteAddress)
        self.localPeer = WireConnectionHandler.describe(channel.localAddress)
    }

    /// Connects, completes TLS and the preface exchange, or throws why not.
    static func establish(
        host: String,
        port: Int,
        sslContext: NIOSSLContext,
        serverHostname: String?,
        config: WireClientConfig,
        group: any EventLoopGroup,
        logger: Logger
    ) async throws -> WireClientConnection {
        let eventLoop = group.next()
        let ready = eventLoop.makePromise(of: PeerSettings.self)
        let unusable = eventLoop.makePromise(of: Void.self)
        let handlePromise = eventLoop.makePromise(of: WireConnectionHandle.self)
        let usable = UsableFlag()
        let connectionConfig = config.connection
        // An IP literal is not a valid SNI name: without one, NIOSSL checks the
        // certificate against the peer's IP address instead.
        let isIPLiteral = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        let hostname = serverHostname ?? (isIPLiteral ? nil : host)
        do {
            let channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(config.connectTimeout))
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = WireConnectionHandler(
                            role: .client(ready: ready, unusable: {
                                usable.clear()
                                unusable.succeed(())
                            }),
                            config: connectionConfig,
                            logger: logger
                        )
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: hostname))
                        try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameSize: connectionConfig.maxFrameSize)))
                        try pipeline.addHandler(handler)
                        handlePromise.succeed(handler.handle)
                    }
                }
                .connect(host: host, port: port)
                .get()
            let settings: PeerSettings
            do {
                settings = try await ready.futureResult.get()
            } catch {
                channel.close(promise: nil)
                throw error
            }
            return WireClientConnection(
                channel: channel,
                handle: try await handlePromise.futureResult.get(),
                peerSettings: settings,
                unusable: unusable.futureResult,
                usable: usable
            )
        } catch {
            // Promises must always complete; these only matter if connect itself failed.
            ready.fail(error)
            unusable.succeed(())
            handlePromise.fail(error)
            throw error
        }
    }
}
