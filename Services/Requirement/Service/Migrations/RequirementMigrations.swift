import ConformStorage

/// The requirement service's schema: one migration per file, applied in order after the
/// shared one (version 1).
enum RequirementMigrations {
    static let all: [Migration] = [
        CreateCustomersAndProducts.migration,
        CreateRequirements.migration,
        AddEvidenceRules.migration,
        CreateContractReviews.migration,
        MoveRetirementToRequirements.migration,
        SharedMigrations.sealedFeedAndLeases(version: 7),
    ]
}
