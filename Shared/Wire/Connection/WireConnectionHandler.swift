import ConformWireFrames
import GRPCCore
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import SwiftProtobuf
import X509

/// What a server hands to its listener for every call a client opens.
struct AcceptedStream: Sendable {
    let stream: RPCStream<RPCAsyncSequence<RPCRequestPart<WireBytes>, any Error>, RPCWriter<RPCResponsePart<WireBytes>>.Closable>
    let wireStream: WireStream
    let remotePeer: String
    let localPeer: String
    let peer: WirePeerContext

    /// The handler's context, with the cancellation handle GRPCCore bound for this call.
    func context(cancellation: ServerContext.RPCCancellationHandle) -> ServerContext {
        var context = ServerContext(
            descriptor: self.stream.descriptor,
            remotePeer: self.remotePeer,
            localPeer: self.localPeer,
            cancellation: cancellation
        )
        context.transportSpecific = self.peer
        return context
    }
}

/// The limits the peer announced in its SETTINGS frame.
struct PeerSettings: Sendable {
    var maxFrameSize: Int
    var initialStreamWindow: Int
    var maxConcurrentStreams: Int?
}

/// One Conform wire connection, client or server side: handshake, stream multiplexing,
/// flow control, keepalive, drain and shutdown. Lives on the channel's event loop, after
/// the TLS handler and the frame decoder.
final class WireConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = InboundWireUnit
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Role {
        /// Accepted calls go to the listener through `accepted`.
        case server(accepted: AsyncStream<AcceptedStream>.Continuation)
        /// `ready` completes once the server's preface and settings arrived; `unusable` is
        /// called once, when the connection stops taking new calls (GOAWAY or close).
        case client(ready: EventLoopPromise<PeerSettings>, unusable: @Sendable () -> Void)
    }

    enum State {
        case handshaking
        case active
        /// GOAWAY sent or received: in-flight streams finish, no new ones start.
        case draining
        case closed
    }

    let role: Role
    let config: WireConnectionConfig
    var logger: Logger

    var context: ChannelHandlerContext?
    var loopBound: NIOLoopBound<WireConnectionHandler>?
    var state: State = .handshaking
    var receivedPreface = false
    var sentPreface = false
    var peerSettings: PeerSettings?
    var streams: [UInt32: WireStream] = [:]
    /// Server: handlers still running, including those of streams already ended; capped
    /// at twice the stream limit, so RESET cannot be used to start unbounded work.
    var runningHandlers = 0
    /// Client: streams waiting for the server's concurrency limit, in order.
    var queuedStreams = CircularBuffer<WireStream>()
    /// A read the channel asked for while the socket could not take our writes.
    var readPending = false
    /// Server: the highest stream id a client opened. Client: the highest id it used.
    var lastStreamID: UInt32 = 0
    /// Client: streams above this id were not processed by a draining server.
    var goAwayLastStreamID: UInt32?
    var flushPending = false
    var handshakeTimer: Scheduled<Void>?
    private var becameActive = false
    var keepaliveTask: RepeatedTask?
    var pingTimeout: Scheduled<Void>?
    var pingOpaque: UInt64 = 0
    /// PINGs the peer may still send now; refilled at the configured rate.
    var pingAllowance: Double = 0
    var pingAllowanceUpdated = NIODeadline.now()
    /// Server: runs out when no call has been open for the idle timeout.
    var idleTimer: Scheduled<Void>?
    /// Why the connection is closing, for the errors its streams end with.
    var closeReason: String?
    var peerCertificate: Certificate?
    var remotePeer = "unknown"
    var localPeer = "unknown"
    private var unusableNotified = false

    init(role: Role, config: WireConnectionConfig, logger: Logger) {
        self.role = role
        self.config = config
        self.logger = logger
        self.pingAllowance = Double(config.pingLimit.burst)
    }

    var isServer: Bool {
        if case .server = self.role { return true }
        return false
    }

    /// A sendable way to reach this handler from any task.
    var handle: WireConnectionHandle {
        WireConnectionHandle(handler: self.loopBound!, key: ObjectIdentifier(self))
    }

    // MARK: Channel lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        if context.channel.isActive {
            self.connectionBecameActive(context: context)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.connectionBecameActive(context: context)
        context.fireChannelActive()
    }

    private func connectionBecameActive(context: ChannelHandlerContext) {
        guard !self.becameActive else { return }
        self.becameActive = true
        self.remotePeer = Self.describe(context.channel.remoteAddress)
        self.localPeer = Self.describe(context.channel.localAddress)
        self.logger[metadataKey: "peer"] = "\(self.remotePeer)"
        if !self.isServer {
            // A client times TLS and the preface together; a server's ConnectionGuard times
            // TLS (and counts the refusal), then this handler the preface.
            self.startHandshakeTimer(context: context, what: "the TLS handshake and preface exchange")
            // Writes queue in the TLS handler until its handshake is done.
            self.sendPrefaceAndSettings()
        }
    }

    private func startHandshakeTimer(context: ChannelHandlerContext, what: String) {
        guard self.handshakeTimer == nil, let loopBound = self.loopBound else { return }
        let timeout = self.config.handshakeTimeout
        self.handshakeTimer = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            let handler = loopBound.value
            guard handler.state == .handshaking else { return }
            handler.fail(WireProtocolError(.protocolError, "the peer did not complete \(what) within \(timeout)"))
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            if self.isServer {
                self.startHandshakeTimer(context: context, what: "the preface exchange after TLS")
            }
            do {
                if let certificate = try context.pipeline.syncOperations.nioSSL_peerCertificate() {
                    self.peerCertificate = try Certificate(derEncoded: try certificate.toDERBytes())
                }
            } catch {
                // TLS verified the chain; a certificate we cannot parse leaves the caller
                // without an identity, which authorization then refuses.
                self.logger.warning("could not read the peer's certificate", metadata: ["error": "\(error)"])
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.tearDown()
        context.fireChannelInactive()
    }

    /// A channel closed before it ever became active never says channelInactive; its calls
    /// and its listener's task must end all the same, or a server stop waits for ever.
    func handlerRemoved(context: ChannelHandlerContext) {
        if self.state != .closed {
            self.tearDown()
        }
        // The handler holds itself through `loopBound`: let go, or every connection ever
        // made stays in memory. Handles made earlier keep it only while they are in use.
        self.loopBound = nil
    }

    private func tearDown() {
        self.state = .closed
        self.handshakeTimer?.cancel()
        self.idleTimer?.cancel()
        self.keepaliveTask?.cancel()
        self.pingTimeout?.cancel()
        let reason = self.closeReason.map { ": \($0)" } ?? ""
        let error = RPCError(code: .unavailable, message: "connection to \(self.remotePeer) closed\(reason)")
        for stream in self.streams.values {
            self.endStream(stream, inboundError: error, serverCancelled: true)
        }
        self.failQueuedStreams(error)
        switch self.role {
        case .server(let accepted):
            accepted.finish()
        case .client(let ready, _):
            // A no-op if the handshake completed; otherwise the connect attempt learns why.
            ready.fail(error)
            self.notifyUnusable()
        }
        self.logger.debug("connection closed", metadata: ["reason": "\(self.closeReason ?? "closed by peer")"])
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let protocolError = error as? WireProtocolError {
            self.fail(protocolError)
            return
        }
        if self.closeReason == nil {
            self.closeReason = Self.explain(error)
        }
        self.logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        for stream in self.streams.values {
            stream.flow.setWritable(writable)
        }
        if writable && self.readPending {
            self.readPending = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    /// Stops reading while the peer is not reading what we send: otherwise a peer that
    /// never reads could make us queue PING answers and RESETs without bound.
    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            self.readPending = true
        }
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard self.state != .closed else { return }
        do {
            switch self.unwrapInboundIn(data) {
            case .preface(let version):
                try self.receivePreface(version: version)
            case .frame(let frame):
                try self.receive(frame)
            }
        } catch let error as WireProtocolError {
            self.fail(error)
        } catch {
            self.fail(WireProtocolError(.protocolError, "malformed frame payload: \(error)"))
        }
    }

    private func receivePreface(version: UInt16) throws {
        guard version == WireProtocol.version else {
            if self.isServer { self.sendPrefaceAndSettings() }
            throw WireProtocolError(
                .unsupportedVersion,
                "peer speaks Conform wire protocol version \(version); this \(self.isServer ? "server" : "client") speaks version \(WireProtocol.version)"
            )
        }
        self.receivedPreface = true
        if self.isServer {
            self.sendPrefaceAndSettings()
        }
    }

    private func receive(_ frame: Frame) throws {
        guard let peerSettings = self.peerSettings else {
            guard frame.type == .settings else {
                throw WireProtocolError(.protocolError, "expected SETTINGS right after the preface, got \(frame.type)")
            }
            try self.receiveSettings(frame.payload)
            return
        }
        switch frame.type {
        case .settings:
            throw WireProtocolError(.protocolError, "SETTINGS may be sent only once per connection")
        case .headers:
            if self.isServer {
                try self.receiveRequestHeaders(frame, peerSettings: peerSettings)
            } else {
                try self.receiveResponseHeaders(frame)
            }
        case .message:
            try self.receiveMessage(frame)
        case .halfClose:
            try self.receiveHalfClose(frame)
        case .trailers:
            try self.receiveTrailers(frame)
        case .reset:
            try self.receiveReset(frame)
        case .windowUpdate:
            try self.receiveWindowUpdate(frame)
        case .ping:
            try self.receivePing(frame)
        case .goAway:
            try self.receiveGoAway(frame)
        }
    }

    private func receiveSettings(_ payload: ByteBuffer) throws {
        let settings = try Conform_Wire_V1_Settings(serializedBytes: Array(payload.readableBytesView))
        guard Int(settings.maxFrameSize) >= WireProtocol.minimumMaxFrameSize else {
            throw WireProtocolError(.protocolError, "peer's max_frame_size \(settings.maxFrameSize) is below the protocol minimum of \(WireProtocol.minimumMaxFrameSize)")
        }
        guard settings.initialStreamWindow > 0 else {
            throw WireProtocolError(.protocolError, "peer's initial_stream_window must be positive")
        }
        let peer = PeerSettings(
            maxFrameSize: Int(settings.maxFrameSize),
            initialStreamWindow: Int(settings.initialStreamWindow),
            maxConcurrentStreams: settings.maxConcurrentStreams == 0 ? nil : Int(settings.maxConcurrentStreams)
        )
        self.peerSettings = peer
        self.state = .active
        self.handshakeTimer?.cancel()
        self.startKeepalive()
        self.updateIdleTimer()
        if case .client(let ready, _) = self.role {
            ready.succeed(peer)
        }
        self.logger.debug("connection ready")
    }

    private func receivePing(_ frame: Frame) throws {
        let ping = try Conform_Wire_V1_Ping(serializedBytes: Array(frame.payload.readableBytesView))
        if ping.ack {
            if ping.opaque == self.pingOpaque {
                self.pingTimeout?.cancel()
                self.pingTimeout = nil
            }
        } else {
            try self.spendPingAllowance()
            var ack = ping
            ack.ack = true
            self.writeControl(.ping, streamID: 0, ack)
        }
    }

    /// A token bucket: a peer may PING in bursts, not in a flood that keeps us answering.
    private func spendPingAllowance() throws {
        let limit = self.config.pingLimit
        let now = NIODeadline.now()
        let elapsed = Double((now - self.pingAllowanceUpdated).nanoseconds) / 1e9
        self.pingAllowanceUpdated = now
        self.pingAllowance = min(Double(limit.burst), self.pingAllowance + elapsed * Double(limit.perSecond))
        guard self.pingAllowance >= 1 else {
            throw WireProtocolError(
                .enhanceYourCalm,
                "too many PINGs: this peer answers a burst of \(limit.burst), then \(limit.perSecond) per second"
            )
        }
        self.pingAllowance -= 1
    }

    /// Server: starts the idle clock when the last call ends, stops it when one opens.
    func updateIdleTimer() {
        guard self.isServer, let timeout = self.config.idleTimeout else { return }
        guard self.state == .active, self.streams.isEmpty, let loopBound = self.loopBound else {
            self.idleTimer?.cancel()
            self.idleTimer = nil
            return
        }
        guard self.idleTimer == nil else { return }
        self.idleTimer = loopBound.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            let handler = loopBound.value
            handler.idleTimer = nil
            handler.drain(reason: "no call for \(timeout); open a new connection for the next one")
        }
    }

    private func receiveGoAway(_ frame: Frame) throws {
        let goAway = try Conform_Wire_V1_GoAway(serializedBytes: Array(frame.payload.readableBytesView))
        let message = goAway.message.isEmpty ? "\(goAway.error)" : goAway.message
        self.closeReason = "peer sent GOAWAY (\(goAway.error)): \(message)"
        if goAway.error != .noError {
            self.logger.warning("peer closed the connection", metadata: ["code": "\(goAway.error)", "reason": "\(message)"])
        }
        if self.state == .active || self.state == .handshaking {
            self.state = .draining
        }
        if !self.isServer {
            self.goAwayLastStreamID = goAway.lastStreamID
            self.notifyUnusable()
            let unprocessed = RPCError(
                code: .unavailable,
                message: "the server at \(self.remotePeer) is going away (\(message)) and did not process this call; it is safe to retry"
            )
            for stream in self.streams.values where stream.id > goAway.lastStreamID {
                self.endStream(stream, inboundError: unprocessed, serverCancelled: false)
            }
            self.failQueuedStreams(unprocessed)
        }
        self.closeIfDrained()
    }

    // MARK: Connection-level sending

    func sendPrefaceAndSettings() {
        guard !self.sentPreface, let context = self.context else { return }
        self.sentPreface = true
        var buffer = context.channel.allocator.buffer(capacity: 32)
        FrameEncoder.writePreface(into: &buffer)
        context.write(self.wrapOutboundOut(buffer), promise: nil)
        var settings = Conform_Wire_V1_Settings()
        settings.maxFrameSize = UInt32(self.config.maxFrameSize)
        settings.initialStreamWindow = UInt32(self.config.initialStreamWindow)
        settings.maxConcurrentStreams = self.isServer ? UInt32(self.config.maxConcurrentStreams) : 0
        self.writeControl(.settings, streamID: 0, settings)
    }

    /// Starts a graceful drain: GOAWAY now, close once the last stream ends.
    func drain(reason: String) {
        switch self.state {
        case .closed, .draining:
            return
        case .handshaking:
            self.closeReason = reason
            self.context?.close(promise: nil)
        case .active:
            self.state = .draining
            self.closeReason = reason
            var goAway = Conform_Wire_V1_GoAway()
            goAway.lastStreamID = self.lastStreamID
            goAway.error = .noError
            goAway.message = reason.truncatedForWire
            self.writeControl(.goAway, streamID: 0, goAway)
            self.notifyUnusable()
            self.closeIfDrained()
        }
    }

    /// Closes the connection now; its streams fail with `reason`.
    func close(reason: String) {
        guard self.state != .closed, let context = self.context else { return }
        if self.closeReason == nil { self.closeReason = reason }
        context.close(promise: nil)
    }

    /// Ends the connection for a protocol violation: GOAWAY with the reason, then close.
    func fail(_ error: WireProtocolError) {
        guard self.state != .closed, let context = self.context else { return }
        self.logger.info("closing connection: protocol error", metadata: ["code": "\(error.code)", "reason": "\(error.message)"])
        if self.closeReason == nil {
            self.closeReason = error.message
        }
        if self.isServer && !self.sentPreface {
            // Lets a confused client parse the GOAWAY that explains the refusal.
            self.sendPrefaceAndSettings()
        }
        var goAway = Conform_Wire_V1_GoAway()
        goAway.lastStreamID = self.lastStreamID
        goAway.error = error.code
        goAway.message = error.message.truncatedForWire
        self.writeControl(.goAway, streamID: 0, goAway)
        self.state = .draining
        self.flushAndClose(context)
    }

    /// Client: tells the connection's owner, once, to pick another connection for new calls.
    private func notifyUnusable() {
        guard case .client(_, let unusable) = self.role, !self.unusableNotified else { return }
        self.unusableNotified = true
        unusable()
    }

    func closeIfDrained() {
        guard self.state == .draining, self.streams.isEmpty, let context = self.context else { return }
        self.flushAndClose(context)
    }

    /// The TLS handler sends what was flushed, then close_notify, before the socket closes.
    private func flushAndClose(_ context: ChannelHandlerContext) {
        context.flush()
        context.close(promise: nil)
    }

    private func startKeepalive() {
        guard let keepalive = self.config.keepalive, let context = self.context, let loopBound = self.loopBound else { return }
        let interval = TimeAmount(keepalive.interval)
        self.keepaliveTask = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            loopBound.value.sendKeepalivePing(timeout: keepalive.timeout)
        }
    }

    private func sendKeepalivePing(timeout: Duration) {
        guard self.pingTimeout == nil, self.state == .active || self.state == .draining,
            let context = self.context, let loopBound = self.loopBound
        else { return }
        // Unpredictable, so a peer that never reads cannot answer blindly.
        self.pingOpaque = UInt64.random(in: 1...UInt64.max)
        var ping = Conform_Wire_V1_Ping()
        ping.opaque = self.pingOpaque
        self.writeControl(.ping, streamID: 0, ping)
        self.pingTimeout = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            let handler = loopBound.value
            handler.pingTimeout = nil
            handler.fail(WireProtocolError(.keepaliveTimeout, "no answer to a keepalive ping within \(timeout); the peer or the network is gone"))
        }
    }

    // MARK: Writing

    func writeFrame(_ type: FrameType, streamID: UInt32, payload: ByteBuffer) {
        guard let context = self.context else { return }
        let buffer = FrameEncoder.encode(Frame(type: type, streamID: streamID, payload: payload), allocator: context.channel.allocator)
        context.write(self.wrapOutboundOut(buffer), promise: nil)
        self.scheduleFlush()
    }

    /// Writes a control frame. Returns false, writing nothing, if its payload would exceed
    /// the peer's maximum frame size (only metadata can make it that large).
    @discardableResult
    func writeControl(_ type: FrameType, streamID: UInt32, _ message: some SwiftProtobuf.Message) -> Bool {
        let bytes: [UInt8]
        do {
            bytes = try message.serializedBytes()
        } catch {
            // proto3 messages without required fields always serialize; this is a bug.
            self.logger.error("could not encode \(type) frame", metadata: ["error": "\(error)"])
            return false
        }
        if let limit = self.peerSettings?.maxFrameSize, bytes.count > limit {
            return false
        }
        self.writeFrame(type, streamID: streamID, payload: ByteBuffer(bytes: bytes))
        return true
    }

    /// Flushes once after every write queued in this event-loop tick, so a call's
    /// HEADERS, MESSAGE and HALF_CLOSE usually leave in one TLS record.
    private func scheduleFlush() {
        guard !self.flushPending, let loopBound = self.loopBound else { return }
        self.flushPending = true
        loopBound.eventLoop.execute {
            let handler = loopBound.value
            handler.flushPending = false
            handler.context?.flush()
        }
    }

    // MARK: Helpers

    static func describe(_ address: SocketAddress?) -> String {
        PeerDescription.describe(address)
    }

    static func explain(_ error: any Error) -> String {
        if let ssl = error as? NIOSSLError {
            return "TLS failed: \(ssl)"
        }
        return "\(error)"
    }
}

extension String {
    /// Text sent in RESET, TRAILERS and GOAWAY is cut to 1,024 characters, so an error
    /// that quotes peer input cannot be used to make us send large frames.
    var truncatedForWire: String {
        self.count <= 1024 ? self : String(self.prefix(1021)) + "..."
    }
}

/// A sendable reference to one connection's handler; every call runs on its event loop,
/// in the order made.
struct WireConnectionHandle: Sendable {
    let handler: NIOLoopBound<WireConnectionHandler>
    /// Identifies the connection, e.g. as a dictionary key.
    let key: ObjectIdentifier

    var eventLoop: any EventLoop { self.handler.eventLoop }

    func execute(_ body: @escaping @Sendable (WireConnectionHandler) -> Void) {
        let handler = self.handler
        handler.eventLoop.execute { body(handler.value) }
    }
}

