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
        maxConcurrentStreams: Int = 1024,
        keepalive: Keepalive? = Keepalive(interval: .seconds(30), timeout: .seconds(10)),
        handshakeTimeout: Duration = .seconds(10)
    ) {
        self.maxFrameSize = maxFrameSize
        self.initialStreamWindow = initialStreamWindow
        self.maxConcurrentStreams = maxConcurrentStreams
        self.keepalive = keepalive
        self.handshakeTimeout = handshakeTimeout
    }

    /// Checks the values against what the protocol allows.
    func validated() throws -> Self {
        guard self.maxFrameSize >= WireProtocol.minimumMaxFrameSize, self.maxFrameSize <= Int(UInt32.max) else {
            throw WireConfigurationError("maxFrameSize must be between \(WireProtocol.minimumMaxFrameSize) and \(UInt32.max) bytes, got \(self.maxFrameSize)")
        }
        guard self.initialStreamWindow > 0, self.initialStreamWindow <= Int(Int32.max) else {
            throw WireConfigurationError("initialStreamWindow must be between 1 and \(Int32.max) bytes, got \(self.initialStreamWindow)")
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
