import ConformProtos
import ConformRuntime
import ConformService
import ConformStorage
import ConformWire
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Metrics
import Prometheus
import RequirementService
import Testing

typealias RequirementClient = Conform_Requirement_V1_RequirementService.Client<ConformWireClientTransport>

/// A service running in this process on free ports of 127.0.0.1, against its own database.
struct RunningService: Sendable {
    let host: ServiceHost
    let database: DatabaseSettings
    let wirePort: Int
    let grpcPort: Int
    let postgres: TestPostgres

    /// A GRPC client over the Conform wire with `tls`.
    func withClient<Result: Sendable>(
        tls: WireClientTLS,
        _ body: (GRPCClient<ConformWireClientTransport>) async throws -> Result
    ) async throws -> Result {
        let transport = try ConformWireClientTransport(host: "127.0.0.1", port: self.wirePort, tls: tls)
        return try await withGRPCClient(transport: transport) { client in try await body(client) }
    }

    /// A requirement service client acting as the test principal `name`.
    func requirement<Result: Sendable>(as name: String = "quality-engineer", _ body: (RequirementClient) async throws -> Result) async throws -> Result {
        try await self.withClient(tls: try ServicePKI.shared().principal(name).wireClient()) { client in
            try await body(RequirementClient(wrapping: client))
        }
    }

    /// The audit trail client, as the auditor.
    func auditTrail<Result: Sendable>(
        _ body: (Conform_Audit_V1_AuditTrail.Client<ConformWireClientTransport>) async throws -> Result
    ) async throws -> Result {
        try await self.withClient(tls: try ServicePKI.shared().principal("auditor").wireClient()) { client in
            try await body(Conform_Audit_V1_AuditTrail.Client(wrapping: client))
        }
    }

    /// Every audit entry so far, sealed or not yet, as the auditor reads them.
    func auditEntries() async throws -> [Conform_Audit_V1_AuditEntry] {
        try await self.auditTrail { client in
            try await client.listEntries(.with {
                $0.limit = 1000
                $0.includeUnsealed = true
            }).entries
        }
    }

    /// Seals what has committed so far by running the sealer's round here, to the end: the
    /// same step the service's sealer runs, so a test need not wait for its schedule.
    func sealed() async throws {
        let database = Database(settings: self.database, logger: .test)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            defer { group.cancelAll() }
            while try await Sealer(database: database).round(logger: .test).isBehind {}
        }
    }

    /// A standard gRPC (HTTP/2) client acting as `name`.
    func withHTTP2Client<Result: Sendable>(
        as name: String = "quality-engineer",
        _ body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: self.grpcPort),
            transportSecurity: try ServicePKI.shared().principal(name).http2Client()
        )
        return try await withGRPCClient(transport: transport) { client in try await body(client) }
    }
}

/// Runs the requirement service for `body` against a new database, then drains it.
func withRequirementService<Result: Sendable>(
    suite: String,
    settings adjust: @Sendable (inout DatabaseSettings) -> Void = { _ in },
    definition: ServiceDefinition = .requirement,
    postgres: TestPostgres? = nil,
    existing: DatabaseSettings? = nil,
    wirePort: Int = 0,
    peerAddresses: [PeerService: PeerAddress] = [:],
    tls: ServiceTLS? = nil,
    environment: [String: String] = [:],
    probePort: Int? = nil,
    _ body: (RunningService) async throws -> Result
) async throws -> Result {
    let postgres = try postgres ?? TestPostgres.fromEnvironment()
    var settings: DatabaseSettings
    if let existing {
        settings = existing
    } else {
        settings = try await postgres.makeServiceDatabase(suite: suite, service: definition.name.replacingOccurrences(of: "-", with: "_"))
    }
    adjust(&settings)
    let configuration = ServiceConfiguration(
        listenHost: "127.0.0.1",
        wirePort: wirePort,
        grpcPort: 0,
        metricsPort: 0,
        probePort: probePort,
        tlsDirectory: "",
        database: settings,
        logLevel: .critical,
        peerAddresses: peerAddresses,
        environment: environment
    )
    let host = try ServiceHost(
        definition: definition,
        configuration: configuration,
        tls: try tls ?? ServicePKI.shared().service,
        registry: TestMetrics.registry,
        handleSignals: false,
        logger: .test
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await host.run() }
        let outcome: Swift.Result<Result, any Error>
        do {
            let ports = try await host.listeningPorts()
            let running = RunningService(host: host, database: settings, wirePort: ports.wire, grpcPort: ports.grpc, postgres: postgres)
            outcome = .success(try await body(running))
        } catch {
            outcome = .failure(error)
        }
        await host.shutDown()
        try await group.waitForAll()
        return try outcome.get()
    }
}

/// swift-metrics can be bootstrapped once per process: every test service shares this registry.
enum TestMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}

extension RunningService {
    /// The service's event feed from `cursor` to its current end, read as the reporting service.
    func events(after cursor: String = "") async throws -> [Conform_Events_V1_Event] {
        try await self.sealed()
        return try await self.withClient(tls: try ServicePKI.shared().principal("reporting").wireClient()) { client in
            try await Conform_Events_V1_EventFeed.Client(wrapping: client).subscribe(
                .with {
                    $0.afterCursor = cursor
                    $0.stopAtEnd = true
                }
            ) { response in
                var events: [Conform_Events_V1_Event] = []
                for try await event in response.messages { events.append(event) }
                return events
            }
        }
    }
}

/// The RPCError `body` fails with, or nil (which every caller's expectation then catches).
func rpcError<Value>(_ body: () async throws -> Value) async -> RPCError? {
    do {
        _ = try await body()
        return nil
    } catch let error as RPCError {
        return error
    } catch {
        Issue.record("expected an RPCError, got \(error)")
        return nil
    }
}

extension RunningService {
    /// Runs the `conform` CLI against this service, as the principals in `tls`.
    func conform(tls: String, _ arguments: String...) async throws -> ProcessRunner.Result {
        try await ProcessRunner.run(
            CLITests.binary,
            arguments,
            environment: ["CONFORM_TLS_DIR": tls, "CONFORM_REQUIREMENT_ADDRESS": "127.0.0.1:\(self.wirePort)"]
        )
    }
}
