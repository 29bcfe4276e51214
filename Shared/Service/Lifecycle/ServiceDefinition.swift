public import ConformSecurity
public import ConformStorage
public import GRPCCore
public import Logging
public import ServiceLifecycle

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
    /// Refuses settings only this service reads (from its environment) that cannot work,
    /// before anything starts.
    public var checkSettings: @Sendable ([String: String]) throws -> Void
    /// Work the service does on its own while it runs (e.g. reading other services' feeds);
    /// it stops before the database pool closes.
    public var makeBackground: @Sendable (ServiceResources) -> [any Service]

    public init(
        name: String,
        ports: Ports,
        migrations: [Migration],
        accessPolicy: AccessPolicy,
        grpcServiceNames: [String],
        peers: [PeerService] = [],
        makeHandlers: @escaping @Sendable (ServiceResources) -> [any RegistrableRPCService],
        checkSettings: @escaping @Sendable ([String: String]) throws -> Void = { _ in },
        makeBackground: @escaping @Sendable (ServiceResources) -> [any Service] = { _ in [] }
    ) {
        self.name = name
        self.ports = ports
        self.migrations = migrations
        self.accessPolicy = accessPolicy
        self.grpcServiceNames = grpcServiceNames
        self.peers = peers
        self.makeHandlers = makeHandlers
        self.checkSettings = checkSettings
        self.makeBackground = makeBackground
    }

    /// Every migration, shared ones first.
    public var allMigrations: [Migration] {
        [SharedMigrations.outboxAndIdempotency] + self.migrations
    }
}

/// What a service's handlers work with: its database, its clients to the services it asks,
/// and its logger.
public struct ServiceResources: Sendable {
    public let database: Database
    public let peers: Peers
    public let logger: Logger
    /// Settings only this service reads, from its environment.
    public let settings: [String: String]
    /// This replica's name among the service's replicas, e.g. as a lease holder.
    public let replica: String
    /// Signalled when the service's own feed has new events (`FeedListener`).
    public let feedChanges: ChangeSignal

    public init(
        database: Database, peers: Peers, logger: Logger, settings: [String: String] = [:], replica: String = "local", feedChanges: ChangeSignal = ChangeSignal()
    ) {
        self.database = database
        self.peers = peers
        self.logger = logger
        self.settings = settings
        self.replica = replica
        self.feedChanges = feedChanges
    }
}
