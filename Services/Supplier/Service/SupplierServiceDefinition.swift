public import ConformService
import ConformProtos

extension ServiceDefinition {
    /// The supplier service: the Approved Supplier List, supplier audits and the receiving gate.
    public static let supplier = ServiceDefinition(
        name: "supplier",
        ports: Ports(wire: 7104, grpc: 7204, metrics: 7304),
        migrations: SupplierMigrations.all,
        accessPolicy: SupplierAccessPolicy.policy,
        grpcServiceNames: [Conform_Supplier_V1_SupplierService.descriptor.fullyQualifiedService],
        // Signatories (who may approve an exception, with which key) are the evidence service's.
        peers: [.evidence],
        makeHandlers: { resources in [SupplierHandlers(resources: resources)] }
    )
}
