/// Limits and timers of one connection, for either side.
public struct WireConnectionConfig: Sendable {
    /// The largest frame payload accepted from the peer, in bytes. Larger declared lengths
    /// close the connection before the body is read.
    public var maxFrameSize: Int
    /// The flow-control window granted to the peer on every stream, in bytes.
    public var initialStreamWindow: Int
    /// Servers: the most calls a client may have open on one connection at once.
    public var maxConcurrentStreams: Int
    /// Pings sent when the connection has been quiet this long; the connection is closed
    /// when the answer takes longer than the timeout. `nil` sends none (pings from the
    /// peer are still answered).
    public var keepalive: Keepalive?
    /// How long the peer has, from TCP connect, to complete TLS and the preface exchange.
    public var handshakeTimeout: Duration
    /// Servers: a connection with no call open for this long is drained (GOAWAY, then close).
    /// `nil` keeps idle connections open.
    public var idleTimeout: Duration?
    /// How many PINGs the peer may send: a burst, then so many per second. More is answered
    /// with GOAWAY ENHANCE_YOUR_CALM.
    public var pingLimit: PingLimit

    public struct PingLimit: Sendable {
        public var burst: Int
        public var perSecond: Int

        public init(burst: Int = 10, perSecond: Int = 1) {
            self.burst = burst
            self.perSecond = perSecond
        }
    }

    public struct Keepalive: Sendable {
        public var interval: Duration
        public var timeout: Duration

        public init(interval: Duration, timeout: Duration) {
            self.interval = interval
            self.timeout = timeout
        }
    }

    public init(
        maxFrameSize: Int = WireProtocol.defaultMaxFrameSize,
        initialStreamWindow: Int = WireProtocol.defaultInitialStreamWindow,
        maxConcurrentStreams: Int = 100,
        keepalive: Keepalive? = Keepalive(interval: .seconds(30), timeout: .seconds(10)),
        handshakeTimeout: Duration = .seconds(10),
        idleTimeout: Duration? = nil,
        pingLimit: PingLimit = PingLimit()
    ) {
        self.maxFrameSize = maxFrameSize
        self.initialStreamWindow = initialStreamWindow
        self.maxConcurrentStreams = maxConcurrentStreams
        self.keepalive = keepalive
        self.handshakeTimeout = handshakeTimeout
        self.idleTimeout = idleTimeout
        self.pingLimit = pingLimit
    }

    /// Checks the values against what the protocol allows.
    func validated() throws -> Self {
        guard self.maxFrameSize >= WireProtocol.minimumMaxFrameSize, self.maxFrameSize <= Int(UInt32.max) else {
            throw WireConfigurationError("maxFrameSize must be between \(WireProtocol.minimumMaxFrameSize) and \(UInt32.max) bytes, got \(self.maxFrameSize)")
        }
        guard self.initialStreamWindow > 0, self.initialStreamWindow <= Int(Int32.max) else {
            throw WireConfigurationError("initialStreamWindow must be between 1 and \(Int32.max) bytes, got \(self.initialStreamWindow)")
        }
        guard self.pingLimit.burst > 0, self.pingLimit.perSecond > 0 else {
            throw WireConfigurationError("pingLimit needs a positive burst and rate, got \(self.pingLimit.burst) and \(self.pingLimit.perSecond) per second")
        }
        guard self.maxConcurrentStreams > 0 else {
            throw WireConfigurationError("maxConcurrentStreams must be positive, got \(self.maxConcurrentStreams)")
        }
        return self
    }
}

/// A setting that cannot work, found before anything listens or connects.
public struct WireConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
