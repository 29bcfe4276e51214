import ConformStorage

/// A completed batch's amendments, each with its approval, as its compliance last read them:
/// the audit report shows the amendment trail of a record.
enum AmendmentTrail {
    static let migration = Migration(
        version: 11,
        name: "batch summaries: the amendment trail",
        statements: [
            "ALTER TABLE batch_summaries ADD COLUMN amendments text[] NOT NULL DEFAULT '{}'",
        ]
    )
}
