import ConformSecurity

/// Who may call each RPC of the reporting service. Anything not listed is denied.
enum ReportingAccessPolicy {
    private static let service = "conform.reporting.v1.ReportingService/"

    static let policy = AccessPolicy([
        service + "FeedStatus": .roles([.qualityEngineer, .qualityManager, .auditor, .admin, .service]),
        // Partner portals and customers' auditors too, for their own customer (checked per call).
        service + "GetDashboard": .roles(Set<Role>([.qualityEngineer, .qualityManager, .operator, .inspector, .auditor, .admin]).union(Role.customerScoped)),
    ])
}
