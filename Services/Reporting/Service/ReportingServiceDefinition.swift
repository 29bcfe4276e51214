public import ConformService
import ConformProtos
import ConformStorage
import Logging
import ServiceLifecycle

/// The services whose feeds the read model reads.
enum ReportingSources {
    static let all: [PeerService] = [.requirement, .batch, .evidence, .supplier]
}

extension ServiceDefinition {
    /// The reporting service: a read model fed from the other four services' event feeds.
    ///
    /// Computed, so that each service built from it has its own feed problems: its handlers
    /// and its feed consumers share them, and no other instance (a test's) sees them.
    public static var reporting: ServiceDefinition {
        let problems = FeedProblems()
        return ServiceDefinition(
            name: "reporting",
            ports: Ports(wire: 7105, grpc: 7205, metrics: 7305),
            migrations: ReportingMigrations.all,
            accessPolicy: ReportingAccessPolicy.policy,
            grpcServiceNames: [Conform_Reporting_V1_ReportingService.descriptor.fullyQualifiedService],
            peers: ReportingSources.all,
            makeHandlers: { resources in [ReportingHandlers(database: resources.database, peers: resources.peers, problems: problems, feedChanges: resources.feedChanges)] },
            makeBackground: { resources in
                // One replica at a time does each of these (a lease each); the compliance
                // refresher runs on every replica, each claiming its own batches.
                func leased(_ name: String, _ work: any Service) -> any Service {
                    LeasedService(
                        lease: WorkLease(name: name, holder: resources.replica), database: resources.database, work: work, logger: resources.logger
                    )
                }
                let consumers: [any Service] = ReportingSources.all.map { source in
                    leased(
                        "feed:\(source.rawValue)",
                        FeedConsumer(
                            source: source, database: resources.database, peers: resources.peers, problems: problems,
                            logger: {
                                var logger = resources.logger
                                logger[metadataKey: "feed"] = "\(source.rawValue)"
                                return logger
                            }()
                        )
                    )
                }
                let settings = ReportingSettings(resources.settings)
                return consumers + [
                    ComplianceRefresher(database: resources.database, peers: resources.peers, logger: resources.logger),
                    leased("alert-watchman", AlertWatchman(database: resources.database, peers: resources.peers, logger: resources.logger, interval: settings.tick)),
                    leased("export-scheduler", ExportScheduler(database: resources.database, logger: resources.logger, interval: settings.tick)),
                    leased(
                        "delivery-courier",
                        DeliveryCourier(database: resources.database, directory: settings.exportDirectory, logger: resources.logger, interval: settings.deliveryTick)
                    ),
                ]
            }
        )
    }
}

/// The reporting service's own settings, from its environment.
struct ReportingSettings {
    /// Where deliveries go: one drop folder per customer beneath it (CONFORM_EXPORT_DIR).
    var exportDirectory: String
    /// How often alerts are escalated and supplier dues and scheduled exports looked at
    /// (CONFORM_REPORTING_TICK_MS, default a minute).
    var tick: Duration
    /// How often the delivery queue is looked at: the tick, at most every 5 seconds.
    var deliveryTick: Duration

    init(_ environment: [String: String]) {
        self.exportDirectory = environment["CONFORM_EXPORT_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "exports"
        let milliseconds = environment["CONFORM_REPORTING_TICK_MS"].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? 60_000
        self.tick = .milliseconds(milliseconds)
        self.deliveryTick = .milliseconds(min(milliseconds, 5_000))
    }
}
