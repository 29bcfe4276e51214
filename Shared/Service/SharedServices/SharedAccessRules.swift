public import ConformSecurity

/// Who may call the services every Conform service serves besides its own API.
public enum SharedAccessRules {
    public static let healthCheck = "grpc.health.v1.Health/Check"
    public static let healthWatch = "grpc.health.v1.Health/Watch"

    public static let policy = AccessPolicy([
        healthCheck: .anyPrincipal,
        healthWatch: .anyPrincipal,
        // Reflection describes the APIs, never data: any principal may discover them.
        "grpc.reflection.v1.ServerReflection/ServerReflectionInfo": .anyPrincipal,
        "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": .anyPrincipal,
        // Reporting consumes every feed; auditors may read them too.
        "conform.events.v1.EventFeed/Subscribe": .roles([.service, .auditor, .admin]),
        "conform.audit.v1.AuditTrail/Verify": .roles([.auditor, .admin, .qualityManager]),
        "conform.audit.v1.AuditTrail/ListEntries": .roles([.auditor, .admin, .qualityManager]),
        "conform.audit.v1.AuditTrail/GetCheckpoint": .roles([.auditor, .admin, .qualityManager]),
    ])

    /// Health probes are not written to the audit trail.
    public static let unaudited: Set<String> = [healthCheck, healthWatch]
}
