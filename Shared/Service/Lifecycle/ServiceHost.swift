import ConformProtos
public import ConformRuntime
public import ConformStorage
import Foundation
import GRPCCore
public import Logging
public import Prometheus
public import ServiceLifecycle

/// Runs one Conform service: its database pool, its migrations, its handlers behind the
/// access and metrics interceptors on both transports, its metrics endpoint, and graceful
/// drain on SIGTERM or SIGINT (no new calls, in-flight calls finish, then the pool closes).
public final class ServiceHost: Sendable {
    public let definition: ServiceDefinition
    public let configuration: ServiceConfiguration
    public let database: Database
    public let server: ConformServer
    private let group: ServiceGroup
    private let ready: Latch<Void>
    private let metricsBound: Latch<Int>
    private let probeBound: Latch<Int>

    /// - Parameters:
    ///   - tls: the service's TLS identity; read from the configuration's TLS folder when nil.
    ///   - registry: where metrics are kept for the endpoint.
    ///   - handleSignals: drain on SIGTERM/SIGINT (an executable); off in tests.
    ///   - tracing: the span exporter `TraceExport.bootstrap` made; nil when tracing is off.
    public init(
        definition: ServiceDefinition,
        configuration: ServiceConfiguration,
        tls: ServiceTLS? = nil,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        handleSignals: Bool = true,
        tracing: (any Service)? = nil,
        logger: Logger
    ) throws {
        self.definition = definition
        self.configuration = configuration
        let ready = Latch<Void>()
        let metricsBound = Latch<Int>()
        let probeBound = Latch<Int>()
        self.ready = ready
        self.metricsBound = metricsBound
        self.probeBound = probeBound
        try definition.checkSettings(configuration.environment)
        let database = Database(settings: configuration.database, logger: logger)
        self.database = database
        let tls = try tls ?? ServiceTLS.load(from: configuration.tlsDirectory, service: definition.name)

        let peers = definition.peers.isEmpty
            ? Peers.none
            : try Peers(
                needed: definition.peers, addresses: configuration.peerAddresses, tls: tls,
                interceptors: tracing == nil ? [] : [TracingClientInterceptor()]
            )
        let feedChanges = ChangeSignal()
        let replica = "\(definition.name)@\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)/\(UUID().uuidString.prefix(8))"
        let resources = ServiceResources(
            database: database, peers: peers, logger: logger, settings: configuration.environment, replica: replica, feedChanges: feedChanges
        )
        let state = ServingState(.starting)
        let health = HealthService(database: database, serviceNames: Set(definition.grpcServiceNames), state: state, logger: logger)
        var services: [any RegistrableRPCService] = definition.makeHandlers(resources) + [
            health,
            EventFeedService(database: database, serviceName: definition.name, changes: feedChanges),
            AuditTrailService(
                database: database, checker: try CheckpointChecker(service: definition.name, tls: tls),
                sealingDeadline: try configuration.auditSealingDeadline()
            ),
        ]
        let served = ReflectionService.serviceNames(of: services)
        let housekeeping = try configuration.housekeeping()
        services += [ReflectionService(serviceNames: served), ReflectionServiceV1Alpha(serviceNames: served)]
        let ordering: [any Service] = [
            SealerService(
                database: database, signer: try CheckpointSigner(tls: tls), replica: replica, logger: logger,
                checkpointInterval: try configuration.auditCheckpointInterval()
            ),
            FeedListener(database: database, signal: feedChanges, logger: logger),
            // Not leased: two replicas sweeping at once delete each key once, and a lease's
            // renewals would cost more than the hourly sweep.
            IdempotencyKeyExpiry(
                service: definition.name, database: database, logger: logger,
                interval: housekeeping.interval, keptFor: housekeeping.keysKeptFor
            ),
        ]
        // Tracing outermost, so a call's span covers its access check and its audit entry.
        let interceptors: [any ServerInterceptor] = (tracing == nil ? [] : [TracingServerInterceptor()]) + [
            MetricsInterceptor(service: definition.name),
            AccessInterceptor(policy: definition.accessPolicy.merging(SharedAccessRules.policy), database: database, logger: logger),
        ]
        let server = try ConformServer(
            services: services,
            interceptors: interceptors,
            host: configuration.listenHost,
            wirePort: configuration.wirePort,
            grpcPort: configuration.grpcPort,
            tls: tls,
            limits: try configuration.connectionLimits(),
            logger: logger
        )
        self.server = server
        let metrics = MetricsEndpoint(
            host: configuration.listenHost,
            port: configuration.metricsPort,
            registry: registry,
            logger: logger,
            onBound: { metricsBound.resolve(.success($0)) }
        )
        var probes: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let probePort = configuration.probePort {
            let probe = ProbeEndpoint(
                host: configuration.listenHost, port: probePort, health: health, logger: logger,
                onBound: { probeBound.resolve(.success($0)) }
            )
            probes.append(.init(service: probe, serviceName: "probes"))
        } else {
            probeBound.resolve(.failure(ConfigurationError("no probe port: set CONFORM_PROBE_PORT or --probe-port")))
        }
        // First in the group, so it stops last and flushes the drained calls' spans; a
        // collector that fails never takes the service down.
        var exporters: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let tracing {
            exporters.append(.init(service: tracing, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore, serviceName: "tracing"))
        }
        let schemaReady = Latch<Void>()
        let serving = ServingService(
            server: server,
            database: database,
            state: state,
            migrator: Migrator(migrations: definition.allMigrations),
            ready: ready,
            schemaReady: schemaReady,
            logger: logger
        )
        self.group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: exporters + [
                    // Shut down in reverse: calls drain first, the pool closes last.
                    .init(service: database.client, serviceName: "postgres"),
                    .init(service: metrics, serviceName: "metrics"),
                ] + probes + peers.lifecycle + (ordering + definition.makeBackground(resources)).enumerated().map { index, work in
                    .init(service: AfterMigrations(work: work, schemaReady: schemaReady), serviceName: "\(definition.name)-background-\(index)")
                } + [
                    .init(
                        service: serving,
                        successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup,
                        serviceName: "server"
                    ),
                ],
                gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
                logger: logger
            )
        )
    }

    /// Runs until a signal, `shutDown()`, or a failure.
    public func run() async throws {
        do {
            try await self.group.run()
        } catch {
            self.ready.resolve(.failure(error))
            self.metricsBound.resolve(.failure(error))
            self.probeBound.resolve(.failure(error))
            throw error
        }
        self.ready.resolve(.failure(CancellationError()))
        self.metricsBound.resolve(.failure(CancellationError()))
        self.probeBound.resolve(.failure(CancellationError()))
    }

    /// Begins the graceful drain.
    public func shutDown() async {
        await self.group.triggerGracefulShutdown()
    }

    /// Waits until migrations are done and both ports accept calls; returns (wire, grpc).
    public func listeningPorts() async throws -> (wire: Int, grpc: Int) {
        try await self.ready.value()
        return (try await self.server.wirePort, try await self.server.grpcPort)
    }

    /// The bound metrics port, once listening.
    public func metricsPort() async throws -> Int {
        try await self.metricsBound.value()
    }

    /// The bound probe port, once listening; fails when the configuration names none.
    public func probePort() async throws -> Int {
        try await self.probeBound.value()
    }
}

/// A service's background work, begun once its schema is migrated: work that reads its
/// tables before then fails, or worse, reads a schema that is about to change.
private struct AfterMigrations: Service {
    let work: any Service
    let schemaReady: Latch<Void>

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.schemaReady.value() }
        try await self.work.run()
    }
}

/// Migrates, then serves until the group shuts down gracefully.
private struct ServingService: Service {
    let server: ConformServer
    let database: Database
    let state: ServingState
    let migrator: Migrator
    let ready: Latch<Void>
    let schemaReady: Latch<Void>
    let logger: Logger

    func run() async throws {
        // However this ends, background work waiting for the schema stops waiting (a later
        // resolution is ignored, so this changes nothing after a success).
        defer { self.schemaReady.resolve(.failure(CancellationError())) }
        do {
            let applied = try await self.migrator.migrate(self.database, logger: self.logger)
            self.logger.info("schema ready", metadata: ["version": "\(self.migrator.latestVersion)", "applied": "\(applied)"])
            self.schemaReady.resolve(.success(()))
        } catch {
            self.logger.critical("cannot prepare the schema", metadata: ["error": "\(error)"])
            self.ready.resolve(.failure(error))
            self.schemaReady.resolve(.failure(error))
            throw error
        }
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.server.serve() }
                group.addTask {
                    _ = try await self.server.wirePort
                    _ = try await self.server.grpcPort
                    self.state.markServing()
                    self.ready.resolve(.success(()))
                }
                // The first failure (e.g. a port in use) ends the service at once.
                do {
                    while try await group.next() != nil {}
                } catch {
                    self.state.markDraining()
                    self.ready.resolve(.failure(error))
                    self.server.beginGracefulShutdown()
                    group.cancelAll()
                    throw error
                }
            }
        } onGracefulShutdown: {
            self.logger.info("draining: no new calls; in-flight calls may finish")
            self.state.markDraining()
            self.server.beginGracefulShutdown()
        }
    }
}
