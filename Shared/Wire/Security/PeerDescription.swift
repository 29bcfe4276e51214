public import NIOCore

/// How a peer's address is written in `ServerContext.remotePeer` and `localPeer`, the same
/// on both transports: "ipv4:127.0.0.1:54321", "ipv6:[::1]:54321", "unix:/path".
public enum PeerDescription {
    public static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "unknown" }
        switch address {
        case .v4(let v4): return "ipv4:\(v4.host):\(address.port ?? 0)"
        case .v6(let v6): return "ipv6:[\(v6.host)]:\(address.port ?? 0)"
        case .unixDomainSocket: return "unix:\(address.pathname ?? "")"
        }
    }
}
