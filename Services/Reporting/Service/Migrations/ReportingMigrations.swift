import ConformStorage

/// The reporting service's schema: one migration per file, applied in order after the shared
/// one (version 1).
enum ReportingMigrations {
    static let all: [Migration] = [
        CreateReadModel.migration,
        CreateComplianceModel.migration,
        CreateEvidenceArchive.migration,
        CreateAlerts.migration,
        CreateExports.migration,
        SharedMigrations.sealedFeedAndLeases(version: 7),
        ShareWorkAmongReplicas.migration,
        KeyAlertsByCustomer.migration,
        SatisfiedFromCompliance.migration,
        AmendmentTrail.migration,
    ]
}
