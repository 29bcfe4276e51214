import ConformSecurity

/// Who may call each RPC of the reporting service. Anything not listed is denied.
enum ReportingAccessPolicy {
    private static let service = "conform.reporting.v1.ReportingService/"
    private static let staff: Set<Role> = [.qualityEngineer, .qualityManager, .operator, .inspector, .auditor, .admin]
    /// Staff, and partner portals and customers' auditors for their own customer (checked per call).
    private static let staffAndPartners = staff.union(Role.customerScoped)
    private static let quality: Set<Role> = [.qualityEngineer, .qualityManager]

    static let policy = AccessPolicy([
        service + "FeedStatus": .roles([.qualityEngineer, .qualityManager, .auditor, .admin, .service]),
        service + "GetDashboard": .roles(staffAndPartners),
        service + "ListAlerts": .roles(staffAndPartners),
        service + "WatchAlerts": .roles(staffAndPartners),
        // The quality team answers alerts; a quality manager sets when they escalate.
        service + "AcknowledgeAlert": .roles(quality),
        service + "GetAlertPolicy": .roles(staff),
        service + "SetAlertPolicy": .roles([.qualityManager]),
        service + "GetAuditReport": .roles(staffAndPartners),
        service + "DefineExport": .roles(quality.union([.admin])),
        service + "ListExportDefinitions": .roles(staffAndPartners),
        service + "RunExport": .roles(quality.union(Role.customerScoped)),
        service + "ListExports": .roles(staffAndPartners),
        service + "GetExportContent": .roles(staffAndPartners),
        service + "ListDeliveries": .roles(staffAndPartners),
    ])
}
