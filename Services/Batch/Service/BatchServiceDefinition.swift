public import ConformService
import ConformProtos
import ConformStorage
import Foundation

extension ServiceDefinition {
    /// The batch service: orders, batches, requirement snapshots, compliance and release.
    public static let batch = ServiceDefinition(
        name: "batch",
        ports: Ports(wire: 7102, grpc: 7202, metrics: 7302),
        migrations: BatchMigrations.all,
        accessPolicy: BatchAccessPolicy.policy,
        grpcServiceNames: [Conform_Batch_V1_BatchService.descriptor.fullyQualifiedService],
        peers: [.requirement, .evidence, .supplier],
        makeHandlers: { resources in [BatchHandlers(resources: resources)] },
        checkSettings: { environment in
            let setting = EnvironmentSetting(environment)
            _ = try setting.positive("CONFORM_RELEASE_RECONCILE_MS", default: 5_000)
            _ = try setting.positive("CONFORM_RELEASE_STALLED_AFTER_MS", default: 30_000)
            if let url = environment["CONFORM_TRACE_BASE_URL"], url.isEmpty || url.contains(where: \.isWhitespace) {
                throw ConfigurationError("CONFORM_TRACE_BASE_URL is '\(url)'; it must be a URL without spaces, e.g. https://trace.example.com/units/")
            }
        },
        makeBackground: { resources in
            let reconciler = ReleaseReconciler(
                handlers: BatchHandlers(resources: resources), logger: resources.logger,
                interval: .milliseconds(BatchServiceDefaults.milliseconds("CONFORM_RELEASE_RECONCILE_MS", in: resources.settings, default: 5_000)),
                stalledAfter: .milliseconds(BatchServiceDefaults.milliseconds("CONFORM_RELEASE_STALLED_AFTER_MS", in: resources.settings, default: 30_000))
            )
            return [
                LeasedService(
                    lease: WorkLease(name: "batch:releases", holder: resources.replica), database: resources.database, work: reconciler,
                    logger: resources.logger
                )
            ]
        }
    )
}

extension BatchHandlers {
    init(resources: ServiceResources) {
        self.init(resources: resources, traceBaseURL: resources.settings["CONFORM_TRACE_BASE_URL"] ?? BatchServiceDefaults.traceBaseURL)
    }
}

/// Settings of the batch service that have defaults.
public enum BatchServiceDefaults {
    /// Where units' QR links point unless CONFORM_TRACE_BASE_URL says otherwise.
    public static let traceBaseURL = "https://trace.conform.example/units/"

    /// A duration setting in milliseconds, `fallback` when unset (checked when the service started).
    static func milliseconds(_ name: String, in settings: [String: String], default fallback: Int) -> Int {
        (try? EnvironmentSetting(settings).positive(name, default: fallback)) ?? fallback
    }
}
