public import ConformService
import ConformProtos
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
        makeHandlers: { resources in
            let trace = resources.settings["CONFORM_TRACE_BASE_URL"] ?? BatchServiceDefaults.traceBaseURL
            return [BatchHandlers(resources: resources, traceBaseURL: trace)]
        }
    )
}

/// Settings of the batch service that have defaults.
public enum BatchServiceDefaults {
    /// Where units' QR links point unless CONFORM_TRACE_BASE_URL says otherwise.
    public static let traceBaseURL = "https://trace.conform.example/units/"
}
