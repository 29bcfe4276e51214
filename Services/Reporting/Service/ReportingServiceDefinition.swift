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
            makeHandlers: { resources in
                let settings = ReportingSettings.resolved(resources.settings)
                let slots = ReportSlots(limit: settings.maxReports, timeout: settings.reportTimeout)
                return [
                    ReportingHandlers(database: resources.database, peers: resources.peers, problems: problems, reportSlots: slots, feedChanges: resources.feedChanges)
                ]
            },
            checkSettings: { environment in _ = try ReportingSettings(environment) },
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
                let settings = ReportingSettings.resolved(resources.settings)
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
    /// Audit reports built at once by one replica (CONFORM_REPORTING_MAX_REPORTS, default 2).
    var maxReports: Int
    /// How long one audit report may take, its caller's reading included
    /// (CONFORM_REPORTING_REPORT_TIMEOUT_MS, default 10 minutes).
    var reportTimeout: Duration

    init(_ environment: [String: String]) throws {
        if let directory = environment["CONFORM_EXPORT_DIR"], directory.isEmpty {
            throw ConfigurationError("CONFORM_EXPORT_DIR is empty; name the folder deliveries go to, or leave it unset for ./exports")
        }
        self.exportDirectory = environment["CONFORM_EXPORT_DIR"] ?? "exports"
        let milliseconds = try EnvironmentSetting(environment).positive("CONFORM_REPORTING_TICK_MS", default: 60_000)
        self.tick = .milliseconds(milliseconds)
        self.deliveryTick = .milliseconds(min(milliseconds, 5_000))
        self.maxReports = try EnvironmentSetting(environment).positive("CONFORM_REPORTING_MAX_REPORTS", default: 2)
        self.reportTimeout = .milliseconds(try EnvironmentSetting(environment).positive("CONFORM_REPORTING_REPORT_TIMEOUT_MS", default: 600_000))
    }

    /// The settings of a service whose start checked them.
    static func resolved(_ environment: [String: String]) -> ReportingSettings {
        (try? ReportingSettings(environment)) ?? (try! ReportingSettings([:]))
    }
}
