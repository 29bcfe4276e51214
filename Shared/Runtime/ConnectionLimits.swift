public import ConformWire
public import GRPCNIOTransportHTTP2
import NIOCore
import NIOSSL

/// What one caller may hold on a service's ports, the same on the Conform wire and on HTTP/2:
/// how many connections, how long a handshake and an idle connection may last, how many calls
/// at once and how large a message.
public struct ConnectionLimits: Sendable {
    /// Connections per port and the TLS handshake deadline.
    public var admission: ConnectionGuard.Limits
    /// Calls open at once on one connection; both ports advertise it in their SETTINGS.
    public var maxConcurrentCalls: Int
    /// A connection with no call open for this long is closed (GOAWAY first).
    public var idleTimeout: Duration
    /// The largest request message, in bytes; larger ones get RESOURCE_EXHAUSTED.
    public var maxMessageBytes: Int

    public init(
        admission: ConnectionGuard.Limits = ConnectionGuard.Limits(),
        maxConcurrentCalls: Int = 100,
        idleTimeout: Duration = .seconds(300),
        maxMessageBytes: Int = 4 * 1024 * 1024
    ) {
        self.admission = admission
        self.maxConcurrentCalls = maxConcurrentCalls
        self.idleTimeout = idleTimeout
        self.maxMessageBytes = maxMessageBytes
    }

    /// The wire's connection settings under these limits.
    var wire: WireConnectionConfig {
        var config = WireConnectionConfig(maxConcurrentStreams: self.maxConcurrentCalls, handshakeTimeout: self.admission.handshakeTimeout)
        config.idleTimeout = self.idleTimeout
        return config
    }

    /// The HTTP/2 transport's configuration under these limits, with the guard hooked into
    /// every accepted connection and the message-size refusal onto every stream.
    func http2(guard connectionGuard: ConnectionGuard) -> HTTP2ServerTransport.Posix.Config {
        var config = HTTP2ServerTransport.Posix.Config.defaults
        // Advertised in SETTINGS, so a client queues calls instead of overrunning the limit
        // swift-nio-http2 enforces anyway (an unadvertised 100 failed every call on the connection).
        config.http2.maxConcurrentStreams = self.maxConcurrentCalls
        config.connection.maxIdleTime = self.idleTimeout
        config.rpc.maxRequestPayloadSize = self.maxMessageBytes
        let maxMessageBytes = self.maxMessageBytes
        config.channelDebuggingCallbacks.onAcceptTCPConnection = { channel in
            channel.eventLoop.makeCompletedFuture {
                // Failing the initializer, not closing here: the transport waits for each channel
                // it is handed to become active, and a closed one never would.
                guard connectionGuard.admit(channel) else { throw ConnectionRefused() }
                do {
                    let tlsHandler = try channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
                    try connectionGuard.watchHandshake(on: channel, after: tlsHandler) { channel in
                        AuthenticatedPeers.record(channel)
                    }
                } catch {
                    channel.close(promise: nil)
                    throw error
                }
            }
        }
        config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { stream in
            stream.eventLoop.makeCompletedFuture {
                let refusal = OversizedRequestRefusal(limit: maxMessageBytes) {
                    connectionGuard.countOversizedMessage()
                }
                try stream.pipeline.syncOperations.addHandler(refusal, position: .first)
            }
        }
        return config
    }
}
