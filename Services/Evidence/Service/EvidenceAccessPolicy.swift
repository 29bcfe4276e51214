import ConformSecurity

/// Who may call each RPC of the evidence service. Anything not listed is denied.
enum EvidenceAccessPolicy {
    private static let service = "conform.evidence.v1.EvidenceService/"

    /// The supplier's own people and services, who may read evidence.
    private static let internalReaders: Set<Role> = [
        .qualityEngineer, .qualityManager, .operator, .inspector, .auditor, .admin, .service,
    ]
    /// Who makes and signs records on the shop floor and in quality.
    private static let recordMakers: Set<Role> = [.operator, .inspector, .qualityEngineer, .qualityManager]

    static let policy = AccessPolicy([
        // Who may sign is quality management's call.
        service + "RegisterSignatory": .roles([.qualityManager, .admin]),
        service + "GrantQualification": .roles([.qualityManager, .admin]),
        service + "GetSignatory": .roles(internalReaders),
        service + "ListSignatories": .roles(internalReaders),
        service + "Upload": .roles(recordMakers),
        service + "Download": .roles(internalReaders),
        service + "GetItem": .roles(internalReaders),
        service + "ListItems": .roles(internalReaders),
        // A person signs as themselves; the batch service passes on a release signature.
        service + "Sign": .roles(recordMakers.union([.service])),
        service + "ListSignatures": .roles(internalReaders),
        service + "ExportSignature": .roles(internalReaders),
        service + "VerifySignatures": .roles(internalReaders),
        service + "BatchEvidence": .roles([.service]),
    ])
}
