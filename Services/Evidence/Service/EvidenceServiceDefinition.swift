public import ConformService
import ConformProtos
import ConformStorage

extension ServiceDefinition {
    /// The evidence service: evidence items and their content, signatories, e-signatures.
    public static let evidence = ServiceDefinition(
        name: "evidence",
        ports: Ports(wire: 7103, grpc: 7203, metrics: 7303),
        migrations: EvidenceMigrations.all,
        accessPolicy: EvidenceAccessPolicy.policy,
        grpcServiceNames: [Conform_Evidence_V1_EvidenceService.descriptor.fullyQualifiedService],
        peers: [.batch, .supplier],
        makeHandlers: { resources in [EvidenceHandlers(resources: resources)] },
        checkSettings: { environment in _ = try EvidenceSettings(environment) },
        makeBackground: { resources in
            let settings = EvidenceSettings.resolved(resources.settings)
            // Not leased: replicas sweeping at once delete each upload once.
            return [
                OrphanedUploadSweeper(
                    database: resources.database, logger: resources.logger,
                    interval: settings.sweepInterval, abandonedAfter: settings.uploadAbandonedAfter
                )
            ]
        }
    )
}

/// The evidence service's own settings, from its environment; checked when the service
/// starts (`checkSettings`), so a malformed one stops it with a message naming the variable.
struct EvidenceSettings: Sendable {
    /// The largest evidence item (CONFORM_MAX_UPLOAD_BYTES, default 4 GiB).
    var maxItemBytes: Int64 = 4 << 30
    /// An upload none of whose chunks arrived for this long is swept
    /// (CONFORM_UPLOAD_ABANDONED_AFTER_MS, default 24 hours).
    var uploadAbandonedAfter: Duration = .seconds(86_400)
    /// How often abandoned uploads are looked for (CONFORM_HOUSEKEEPING_MS, default 1 hour).
    var sweepInterval: Duration = .seconds(3_600)

    init() {}

    init(_ environment: [String: String]) throws {
        let setting = EnvironmentSetting(environment)
        self.maxItemBytes = Int64(try setting.positive("CONFORM_MAX_UPLOAD_BYTES", default: 4 << 30))
        self.uploadAbandonedAfter = .milliseconds(try setting.positive("CONFORM_UPLOAD_ABANDONED_AFTER_MS", default: 86_400_000))
        self.sweepInterval = .milliseconds(try setting.positive("CONFORM_HOUSEKEEPING_MS", default: 3_600_000))
    }

    /// The settings of a service whose start checked them.
    static func resolved(_ environment: [String: String]) -> EvidenceSettings {
        (try? EvidenceSettings(environment)) ?? EvidenceSettings()
    }
}
