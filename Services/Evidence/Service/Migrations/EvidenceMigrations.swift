import ConformStorage

/// The evidence service's schema: one migration per file, applied in order after the shared
/// one (version 1).
enum EvidenceMigrations {
    static let all: [Migration] = [
        CreateEvidence.migration,
        SharedMigrations.sealedFeedAndLeases(version: 3),
        SealReleasedBatches.migration,
        TagItemsWithWhatTheyConcern.migration,
        DateStagedChunks.migration,
    ]
}
