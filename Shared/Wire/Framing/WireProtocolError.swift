public import ConformWireFrames

/// A violation of the wire protocol. It closes the connection it happened on, after a
/// GOAWAY frame that tells the peer why.
public struct WireProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The GOAWAY error code sent to the peer.
    public var code: Conform_Wire_V1_ConnectionError
    /// What went wrong, in words an operator reading the peer's log can act on.
    public var message: String

    public init(_ code: Conform_Wire_V1_ConnectionError, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }

    static func frameTooLarge(declared: Int, limit: Int) -> Self {
        Self(.frameTooLarge, "frame declares a \(declared)-byte payload; this peer accepts at most \(limit) bytes")
    }

    static func badMagic(_ bytes: [UInt8]) -> Self {
        let shown = bytes.map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
        return Self(
            .protocolError,
            "not a Conform wire protocol peer: the connection must open with the preface 43 46 57 50 0D 0A (\"CFWP\\r\\n\") and a version, got \(shown)"
        )
    }

    static func truncated(_ what: String) -> Self {
        Self(.protocolError, "connection closed in the middle of \(what)")
    }
}
