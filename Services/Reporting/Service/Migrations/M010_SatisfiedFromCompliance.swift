import ConformStorage

/// What an item of evidence satisfies is the batch's compliance's to say (signatures
/// included), not the tag it was uploaded with: each requirement's compliance keeps the items
/// it counted, and the tag becomes what it is, the requirements an item concerns.
enum SatisfiedFromCompliance {
    static let migration = Migration(
        version: 10,
        name: "evidence items' concerns; the items each requirement's compliance counted",
        statements: [
            "ALTER TABLE evidence_items RENAME COLUMN satisfies TO concerns",
            "ALTER TABLE batch_compliance ADD COLUMN evidence bigint[] NOT NULL DEFAULT '{}'",
            // Every known batch is read once more, for the items its compliance counted.
            "INSERT INTO stale_batches (number, since_micros) SELECT number, 0 FROM batch_summaries ON CONFLICT (number) DO NOTHING",
        ]
    )
}
