import ConformStorage

/// The supplier service's schema: one migration per file, applied in order after the shared
/// one (version 1).
enum SupplierMigrations {
    static let all: [Migration] = [
        CreateSuppliers.migration,
        SharedMigrations.sealedFeedAndLeases(version: 3),
        ApprovalsAsSignatures.migration,
    ]
}
