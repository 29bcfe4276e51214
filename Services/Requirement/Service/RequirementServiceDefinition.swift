public import ConformService
import ConformProtos

extension ServiceDefinition {
    /// The requirement service: customers, products, requirements and their versions, contract reviews.
    public static let requirement = ServiceDefinition(
        name: "requirement",
        ports: Ports(wire: 7101, grpc: 7201, metrics: 7301),
        migrations: RequirementMigrations.all,
        accessPolicy: RequirementAccessPolicy.policy,
        grpcServiceNames: [
            Conform_Requirement_V1_RequirementService.descriptor.fullyQualifiedService,
            Conform_Requirement_V1_RequirementCatalog.descriptor.fullyQualifiedService,
        ],
        makeHandlers: { resources in [RequirementHandlers(database: resources.database), CatalogHandlers(database: resources.database)] }
    )
}
