import ConformStorage

/// The batch service's schema: one migration per file, applied in order after the shared one
/// (version 1).
enum BatchMigrations {
    static let all: [Migration] = [
        CreateBatches.migration,
        CreateBatchLots.migration,
        SharedMigrations.sealedFeedAndLeases(version: 4),
        CreateReleases.migration,
        SignedAmendments.migration,
    ]
}
