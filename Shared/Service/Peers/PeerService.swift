/// The five Conform services as peers see each other: names and default wire ports.
public enum PeerService: String, Sendable, CaseIterable {
    case requirement, batch, evidence, supplier, reporting

    /// Where it listens unless told otherwise.
    public var defaultWirePort: Int {
        switch self {
        case .requirement: return 7101
        case .batch: return 7102
        case .evidence: return 7103
        case .supplier: return 7104
        case .reporting: return 7105
        }
    }

    /// e.g. CONFORM_REQUIREMENT_ADDRESS, read by services and the CLI alike.
    public var addressVariable: String { "CONFORM_\(self.rawValue.uppercased())_ADDRESS" }
}

/// Where a peer service answers.
public struct PeerAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(self.host):\(self.port)" }

    /// Parses HOST:PORT, or nil.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port) else {
            return nil
        }
        let host = String(text[..<colon])
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }
}
