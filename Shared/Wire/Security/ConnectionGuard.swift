public import Logging
import Metrics
public import NIOCore
import NIOSSL
import NIOTLS
import Synchronization

/// Admits the connections of one listening port: a cap on how many are open, a deadline for
/// the TLS handshake, and a count, by reason, of every connection refused before its first
/// call. Both transports use one, so both ports follow one certificate rule.
public final class ConnectionGuard: Sendable {
    /// Why a connection was refused before it could make a call.
    public enum Refusal: String, Sendable, CaseIterable {
        /// The port already holds `maxConnections` connections.
        case connectionLimit = "connection_limit"
        /// The server is stopping and takes no new connections.
        case shuttingDown = "shutting_down"
        /// The client sent no certificate; every Conform port requires one.
        case noCertificate = "no_certificate"
        /// The client's certificate does not chain to the deployment's CA, or has expired.
        case untrustedCertificate = "untrusted_certificate"
        /// The client did not finish the TLS handshake within `handshakeTimeout`.
        case handshakeTimeout = "handshake_timeout"
        /// Any other TLS failure: no common protocol version or cipher, garbage instead of TLS.
        case tlsFailure = "tls_failure"
    }

    /// How many connections a port holds and how long a handshake may take.
    public struct Limits: Sendable {
        public var maxConnections: Int
        public var handshakeTimeout: Duration

        public init(maxConnections: Int = 4096, handshakeTimeout: Duration = .seconds(10)) {
            self.maxConnections = maxConnections
            self.handshakeTimeout = handshakeTimeout
        }
    }

    private struct State {
        var open = 0
        /// Connections still in their TLS handshake: a drain closes them at once.
        var handshaking: [ObjectIdentifier: any Channel] = [:]
        var closing = false
        var refusals: [Refusal: Int] = [:]
    }

    /// The port's name in metrics and logs: "wire" or "grpc".
    public let port: String
    public let limits: Limits
    private let logger: Logger
    private let state = Mutex(State())
    private let refusalLog: RateLimitedLog
    private let openGauge: Gauge

    public init(port: String, limits: Limits, logger: Logger) {
        self.port = port
        self.limits = limits
        self.logger = logger
        self.refusalLog = RateLimitedLog(interval: .seconds(10))
        self.openGauge = Gauge(label: "conform_connections_open", dimensions: [("port", port)])
    }

    /// Connections open on this port now.
    public var openConnections: Int { self.state.withLock { $0.open } }

    /// Connections refused so far for `reason` (for tests and diagnostics; metrics carry the same).
    public func refusals(_ reason: Refusal) -> Int { self.state.withLock { $0.refusals[reason, default: 0] } }

    /// Called on a newly accepted channel, in its initializer, before any other handler sees it.
    /// Returns false, having closed the channel, when the port is full or stopping: the caller
    /// then fails the channel's initializer, so the transport never waits on a channel that will
    /// not become active. Otherwise the channel is counted until it closes, and `watchHandshake`
    /// must follow once TLS is in place.
    public func admit(_ channel: any Channel) -> Bool {
        let key = ObjectIdentifier(channel)
        let refusal: Refusal? = self.state.withLock { state in
            if state.closing { return .shuttingDown }
            if state.open >= self.limits.maxConnections { return .connectionLimit }
            state.open += 1
            state.handshaking[key] = channel
            return nil
        }
        if let refusal {
            self.refuse(refusal, peer: channel.remoteAddress, detail: refusal == .connectionLimit ? "the port holds \(self.limits.maxConnections) connections" : "the server is stopping")
            channel.close(promise: nil)
            return false
        }
        self.openGauge.record(self.openConnections)
        channel.closeFuture.whenComplete { _ in
            let open = self.state.withLock { state in
                state.open -= 1
                state.handshaking.removeValue(forKey: key)
                return state.open
            }
            self.openGauge.record(open)
        }
        return true
    }

    /// Adds, right after the TLS handler, the handler that enforces the handshake deadline and
    /// records why a handshake failed. `onEstablished` runs once TLS is complete.
    public func watchHandshake(
        on channel: any Channel,
        after tlsHandler: any ChannelHandler,
        onEstablished: (@Sendable (any Channel) -> Void)? = nil
    ) throws {
        let watch = HandshakeWatch(guard: self, onEstablished: onEstablished)
        try channel.pipeline.syncOperations.addHandler(watch, position: .after(tlsHandler))
    }

    /// Counts a call refused because its request message was over the size limit.
    public func countOversizedMessage() {
        Counter(label: "conform_oversized_messages_total", dimensions: [("port", self.port)]).increment()
    }

    /// Refuses new connections from now on and closes those still in their TLS handshake:
    /// they have no call to finish, and a client that never speaks must not hold up a stop.
    public func beginClosing() {
        let handshaking = self.state.withLock { state in
            state.closing = true
            return Array(state.handshaking.values)
        }
        for channel in handshaking {
            // Only an active channel is closed here, on its own event loop; one not active yet
            // is closed by its HandshakeWatch as it becomes active. Closed before that, it would
            // never become active, and the transports wait for each channel to do so.
            channel.eventLoop.execute {
                if channel.isActive { channel.close(promise: nil) }
            }
        }
    }

    /// Whether the port has stopped taking connections.
    var isClosing: Bool { self.state.withLock { $0.closing } }

    fileprivate func established(_ channel: any Channel) {
        _ = self.state.withLock { $0.handshaking.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    fileprivate func refuse(_ reason: Refusal, peer: SocketAddress?, detail: String) {
        self.state.withLock { $0.refusals[reason, default: 0] += 1 }
        Counter(label: "conform_connection_refusals_total", dimensions: [("port", self.port), ("reason", reason.rawValue)]).increment()
        let peerText = PeerDescription.describe(peer)
        self.refusalLog.log(key: reason.rawValue) { suppressed in
            var metadata: Logger.Metadata = ["port": "\(self.port)", "reason": "\(reason.rawValue)", "peer": "\(peerText)", "detail": "\(detail)"]
            if suppressed > 0 {
                metadata["unlogged_since_last"] = "\(suppressed)"
            }
            self.logger.notice("connection refused", metadata: metadata)
        }
    }

    /// Sorts a TLS failure into a refusal reason from BoringSSL's error text.
    static func classify(_ error: any Error) -> Refusal {
        let text = String(describing: error)
        if text.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE") || text.contains("CERTIFICATE_REQUIRED") {
            return .noCertificate
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate") && text.contains("expired") {
            return .untrustedCertificate
        }
        return .tlsFailure
    }
}

/// Fails the initializer of a connection `ConnectionGuard.admit` refused; NIO closes it.
public struct ConnectionRefused: Error, CustomStringConvertible {
    public var description: String { "connection refused: the port is full or the server is stopping" }
    public init() {}
}

/// Sits right after the TLS handler until the handshake is done: closes a connection that
/// has not finished it by the deadline, and records why a handshake failed.
private final class HandshakeWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let connectionGuard: ConnectionGuard
    private let onEstablished: (@Sendable (any Channel) -> Void)?
    private var deadline: Scheduled<Void>?
    private var settled = false

    init(guard connectionGuard: ConnectionGuard, onEstablished: (@Sendable (any Channel) -> Void)?) {
        self.connectionGuard = connectionGuard
        self.onEstablished = onEstablished
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            self.startDeadline(context: context)
        }
    }

    /// The deadline runs from activation: a channel closed before it is active never becomes
    /// active, and the transports wait for that.
    private func startDeadline(context: ChannelHandlerContext) {
        guard self.deadline == nil else { return }
        let timeout = self.connectionGuard.limits.handshakeTimeout
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.deadline = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            let (watch, context) = loopBound.value
            guard !watch.settled else { return }
            watch.settled = true
            watch.connectionGuard.refuse(.handshakeTimeout, peer: context.channel.remoteAddress, detail: "no completed TLS handshake within \(timeout)")
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.deadline?.cancel()
    }

    func channelActive(context: ChannelHandlerContext) {
        self.startDeadline(context: context)
        context.fireChannelActive()
        // The server began to stop between accepting this connection and its activation.
        if self.connectionGuard.isClosing, !self.settled {
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event, !self.settled {
            self.settled = true
            self.deadline?.cancel()
            self.connectionGuard.established(context.channel)
            self.onEstablished?(context.channel)
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !self.settled {
            self.settled = true
            self.deadline?.cancel()
            self.connectionGuard.refuse(ConnectionGuard.classify(error), peer: context.channel.remoteAddress, detail: "\(error)")
        }
        context.fireErrorCaught(error)
    }
}

/// Logs at most one line per key and interval, saying how many went unlogged in between,
/// so a flood of refused connections cannot flood the log.
final class RateLimitedLog: Sendable {
    private struct Entry {
        var lastLogged: ContinuousClock.Instant
        var suppressed: Int
    }

    private let interval: Duration
    private let entries = Mutex([String: Entry]())

    init(interval: Duration) {
        self.interval = interval
    }

    func log(key: String, _ emit: (_ suppressed: Int) -> Void) {
        let now = ContinuousClock.now
        let suppressed: Int? = self.entries.withLock { entries in
            if var entry = entries[key], now - entry.lastLogged < self.interval {
                entry.suppressed += 1
                entries[key] = entry
                return nil
            }
            let suppressed = entries[key]?.suppressed ?? 0
            entries[key] = Entry(lastLogged: now, suppressed: 0)
            return suppressed
        }
        if let suppressed {
            emit(suppressed)
        }
    }
}
