import ConformSecurity

/// Who may call each RPC of the supplier service. Anything not listed is denied.
enum SupplierAccessPolicy {
    private static let service = "conform.supplier.v1.SupplierService/"

    private static let internalReaders: Set<Role> = [
        .qualityEngineer, .qualityManager, .operator, .inspector, .auditor, .admin, .service,
    ]

    static let policy = AccessPolicy([
        service + "CreateSupplier": .roles([.qualityEngineer, .qualityManager, .admin]),
        service + "GetSupplier": .roles(internalReaders),
        service + "ListSuppliers": .roles(internalReaders),
        // Approving a supplier, and how old an audit may be, are quality management's calls.
        service + "SetAslEntry": .roles([.qualityManager]),
        service + "ListAsl": .roles(internalReaders),
        service + "RecordAudit": .roles([.qualityEngineer, .qualityManager]),
        service + "ListAudits": .roles(internalReaders),
        service + "SetReceivingPolicy": .roles([.qualityManager]),
        service + "GetReceivingPolicy": .roles(internalReaders),
        // Receiving clerks (operators) record what arrives and may ask for an exception.
        service + "RecordReceipt": .roles([.operator, .qualityEngineer, .qualityManager]),
        service + "GetReceipt": .roles(internalReaders),
        service + "ListReceipts": .roles(internalReaders),
        service + "RequestException": .roles([.operator, .qualityEngineer, .qualityManager]),
        service + "GetReceiptDigest": .roles(internalReaders),
        service + "ApproveException": .roles([.qualityManager]),
        service + "ListDue": .roles(internalReaders),
        service + "GetLotStatus": .roles([.service]),
    ])
}
