public import ConformService
import ConformProtos

extension ServiceDefinition {
    /// The requirement service: customers, products, and (to come) requirements.
    public static let requirement = ServiceDefinition(
        name: "requirement",
        ports: Ports(wire: 7101, grpc: 7201, metrics: 7301),
        migrations: RequirementMigrations.all,
        accessPolicy: RequirementAccessPolicy.policy,
        grpcServiceNames: [
            Conform_Requirement_V1_RequirementService.descriptor.fullyQualifiedService,
            Conform_Requirement_V1_RequirementCatalog.descriptor.fullyQualifiedService,
        ],
        makeHandlers: { database in [RequirementHandlers(database: database), CatalogHandlers(database: database)] }
    )
}
