public import ConformRuntime
public import ConformWire
import Foundation
public import GRPCCore
import Logging
import ServiceLifecycle

/// Long-lived clients to the other services a service asks, each over one multiplexed TLS
/// connection presenting the service's own certificate. Connections open on first use and
/// reconnect by themselves; they close after the service's calls have drained.
public final class Peers: Sendable {
    private let clients: [PeerService: GRPCClient<ConformWireClientTransport>]
    private let addresses: [PeerService: PeerAddress]

    /// Clients to `needed` at `addresses`, as `tls`.
    /// - Parameter interceptors: on every call to a peer (the tracing one carries the trace).
    public init(
        needed: [PeerService], addresses: [PeerService: PeerAddress], tls: ServiceTLS, interceptors: [any ClientInterceptor] = []
    ) throws {
        var clients: [PeerService: GRPCClient<ConformWireClientTransport>] = [:]
        for peer in needed {
            guard let address = addresses[peer] else {
                throw ConfigurationError("no address for the \(peer.rawValue) service: set \(peer.addressVariable) to HOST:PORT")
            }
            let transport = try ConformWireClientTransport(host: address.host, port: address.port, tls: try tls.wireClient(serverHostname: nil))
            clients[peer] = GRPCClient(transport: transport, interceptors: interceptors)
        }
        self.clients = clients
        self.addresses = addresses
    }

    private init() {
        self.clients = [:]
        self.addresses = [:]
    }

    /// No peers: for services that ask nobody.
    public static let none = Peers()

    /// Calls `peer` for the current call, carrying its request id and a deadline. A peer's
    /// refusal keeps its status and says which service refused; an unreachable peer is
    /// UNAVAILABLE with its address.
    public func call<Result: Sendable>(
        _ peer: PeerService,
        _ body: (GRPCClient<ConformWireClientTransport>, Metadata, CallOptions) async throws -> Result
    ) async throws -> Result {
        guard let client = self.clients[peer] else {
            throw RPCError(code: .internalError, message: "this service is not configured to ask the \(peer.rawValue) service")
        }
        var metadata: Metadata = [:]
        if let call = CallContext.current {
            metadata.addString(call.requestID, forKey: CallMetadata.requestID)
        }
        var options = CallOptions.defaults
        options.timeout = .seconds(15)
        // A peer that is starting or restarting is waited for, within the deadline.
        options.waitForReady = true
        do {
            return try await body(client, metadata, options)
        } catch let error as RPCError {
            switch error.code {
            case .unavailable, .deadlineExceeded:
                let address = self.addresses[peer].map { " at \($0)" } ?? ""
                throw RPCError(code: .unavailable, message: "the \(peer.rawValue) service\(address) did not answer (\(error.message)); try again shortly")
            case .unauthenticated:
                throw RPCError(code: .internalError, message: "the \(peer.rawValue) service did not accept this service's certificate: \(error.message)")
            default:
                throw RPCError(code: error.code, message: "\(peer.rawValue) service: \(error.message)")
            }
        }
    }

    /// The client to `peer`, for calls that set their own options (a feed read for as long
    /// as the service runs has no deadline).
    public func client(_ peer: PeerService) throws -> GRPCClient<ConformWireClientTransport> {
        guard let client = self.clients[peer] else {
            throw RPCError(code: .internalError, message: "this service is not configured to ask the \(peer.rawValue) service")
        }
        return client
    }

    /// The lifecycle services that run the connections.
    var lifecycle: [ServiceGroupConfiguration.ServiceConfiguration] {
        self.clients.sorted { $0.key.rawValue < $1.key.rawValue }.map { peer, client in
            .init(service: PeerConnections(client: client), serviceName: "peer-\(peer.rawValue)")
        }
    }
}

/// Runs one peer client's connections until the service group shuts down.
private struct PeerConnections: Service {
    let client: GRPCClient<ConformWireClientTransport>

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await self.client.runConnections()
        } onGracefulShutdown: {
            self.client.beginGracefulShutdown()
        }
    }
}
