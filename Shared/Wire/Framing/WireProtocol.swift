public import NIOCore

/// Constants of the Conform wire protocol, version 1 (docs/PROTOCOL.md).
public enum WireProtocol {
    /// The protocol version this implementation speaks.
    public static let version: UInt16 = 1

    /// The six magic bytes that open every preface: "CFWP\r\n".
    ///
    /// The CR LF pair catches peers and proxies that rewrite line endings, as PNG's
    /// signature does, and makes a stray HTTP/1 or TLS peer fail on the first bytes.
    public static let magic: [UInt8] = Array("CFWP\r\n".utf8)

    /// Preface length: the magic followed by a big-endian UInt16 version.
    public static let prefaceLength = 8

    /// Frame header length: UInt32 payload length, UInt8 type, UInt8 flags, UInt32 stream id.
    public static let frameHeaderLength = 10

    /// The largest payload a receiver accepts unless configured otherwise (4 MiB, as gRPC).
    public static let defaultMaxFrameSize = 4 * 1024 * 1024

    /// The smallest maximum frame size a peer may advertise.
    public static let minimumMaxFrameSize = 16 * 1024

    /// The per-stream window granted unless configured otherwise.
    public static let defaultInitialStreamWindow = 1024 * 1024
}

/// The kinds of frame. Stream-scoped frames carry a non-zero stream id; connection
/// frames (SETTINGS, PING, GOAWAY) carry zero.
public enum FrameType: UInt8, Sendable, CaseIterable {
    case settings = 0x00
    case headers = 0x01
    case message = 0x02
    case halfClose = 0x03
    case trailers = 0x04
    case reset = 0x05
    case windowUpdate = 0x06
    case ping = 0x07
    case goAway = 0x08

    /// Whether frames of this type belong to a stream (non-zero id) or to the connection.
    public var isStreamScoped: Bool {
        switch self {
        case .settings, .ping, .goAway: return false
        case .headers, .message, .halfClose, .trailers, .reset, .windowUpdate: return true
        }
    }
}

/// One frame as it crosses the wire.
public struct Frame: Sendable, Hashable {
    public var type: FrameType
    /// Reserved in version 1: always zero.
    public var flags: UInt8
    public var streamID: UInt32
    public var payload: ByteBuffer

    public init(type: FrameType, flags: UInt8 = 0, streamID: UInt32, payload: ByteBuffer) {
        self.type = type
        self.flags = flags
        self.streamID = streamID
        self.payload = payload
    }
}

/// What the decoder yields: the peer's preface once, then frames.
public enum InboundWireUnit: Sendable, Hashable {
    case preface(version: UInt16)
    case frame(Frame)
}
