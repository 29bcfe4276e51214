public import ConformService
import ConformProtos

extension ServiceDefinition {
    /// The evidence service: evidence items and their content, signatories, e-signatures.
    public static let evidence = ServiceDefinition(
        name: "evidence",
        ports: Ports(wire: 7103, grpc: 7203, metrics: 7303),
        migrations: EvidenceMigrations.all,
        accessPolicy: EvidenceAccessPolicy.policy,
        grpcServiceNames: [Conform_Evidence_V1_EvidenceService.descriptor.fullyQualifiedService],
        peers: [.batch, .supplier],
        makeHandlers: { resources in [EvidenceHandlers(resources: resources)] }
    )
}
