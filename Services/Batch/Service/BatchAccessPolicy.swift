import ConformSecurity

/// Who may call each RPC of the batch service. Anything not listed is denied.
enum BatchAccessPolicy {
    private static let service = "conform.batch.v1.BatchService/"

    /// The supplier's own people and services, who may read every batch.
    private static let internalReaders: Set<Role> = [
        .qualityEngineer, .qualityManager, .operator, .inspector, .auditor, .admin, .service,
    ]
    /// Who makes batches and fills in their records on the shop floor.
    private static let production: Set<Role> = [.operator, .inspector, .qualityEngineer, .qualityManager]

    static let policy = AccessPolicy([
        service + "CreateOrder": .roles([.qualityEngineer, .qualityManager, .admin]),
        service + "GetOrder": .roles(internalReaders),
        service + "ListOrders": .roles(internalReaders),
        service + "SetProductMode": .roles([.qualityEngineer, .qualityManager]),
        service + "CreateBatch": .roles(production),
        service + "GetBatch": .roles(internalReaders),
        service + "ListBatches": .roles(internalReaders),
        service + "RecordFields": .roles(production),
        service + "AssignSerials": .roles(production),
        service + "RecordNfcTags": .roles(production),
        service + "ConsumeLots": .roles(production),
        service + "ResolveSerial": .roles(internalReaders),
        service + "Compliance": .roles(internalReaders),
        // Waivers, releases, rejections and amendments are quality management's decisions.
        service + "WaiveRequirement": .roles([.qualityManager]),
        service + "Release": .roles([.qualityManager]),
        service + "Reject": .roles([.qualityManager]),
        service + "Amend": .roles([.qualityManager]),
        service + "SetLegalHold": .roles([.qualityManager, .admin]),
        service + "Archive": .roles([.qualityManager, .admin]),
        service + "DeleteBatch": .roles([.qualityManager, .admin]),
        service + "Checklist": .roles([.service]),
    ])
}
