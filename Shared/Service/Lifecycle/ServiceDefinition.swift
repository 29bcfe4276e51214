public import ConformSecurity
public import ConformStorage
public import GRPCCore

/// What makes one Conform service itself; everything else the runtime does the same way
/// for all five.
public struct ServiceDefinition: Sendable {
    /// Default ports: the Conform wire, standard gRPC, and metrics.
    public struct Ports: Sendable {
        public var wire: Int
        public var grpc: Int
        public var metrics: Int
        public init(wire: Int, grpc: Int, metrics: Int) {
            self.wire = wire
            self.grpc = grpc
            self.metrics = metrics
        }
    }

    /// e.g. "requirement": names the schema, role, certificate and executable.
    public var name: String
    public var ports: Ports
    /// The service's own migrations, numbered from 2 (1 is `SharedMigrations.outboxAndIdempotency`).
    public var migrations: [Migration]
    /// Who may call the service's own RPCs.
    public var accessPolicy: AccessPolicy
    /// The fully-qualified names of its gRPC services, answered by the health service.
    public var grpcServiceNames: [String]
    /// The other services it asks.
    public var peers: [PeerService]
    /// Builds the service's own handlers.
    public var makeHandlers: @Sendable (ServiceResources) -> [any RegistrableRPCService]

    public init(
        name: String,
        ports: Ports,
        migrations: [Migration],
        accessPolicy: AccessPolicy,
        grpcServiceNames: [String],
        peers: [PeerService] = [],
        makeHandlers: @escaping @Sendable (ServiceResources) -> [any RegistrableRPCService]
    ) {
        self.name = name
        self.ports = ports
        self.migrations = migrations
        self.accessPolicy = accessPolicy
        self.grpcServiceNames = grpcServiceNames
        self.peers = peers
        self.makeHandlers = makeHandlers
    }

    /// A service whose own API has not been built yet: it serves health, its event feed and
    /// its audit trail, and keeps its schema (shared tables only).
    public static func withoutAPI(name: String, ports: Ports) -> ServiceDefinition {
        ServiceDefinition(
            name: name,
            ports: ports,
            migrations: [],
            accessPolicy: AccessPolicy(),
            grpcServiceNames: [],
            makeHandlers: { _ in [] }
        )
    }

    /// Every migration, shared ones first.
    public var allMigrations: [Migration] {
        [SharedMigrations.outboxAndIdempotency] + self.migrations
    }
}

/// What a service's handlers work with: its database and its clients to the services it asks.
public struct ServiceResources: Sendable {
    public let database: Database
    public let peers: Peers

    public init(database: Database, peers: Peers) {
        self.database = database
        self.peers = peers
    }
}
