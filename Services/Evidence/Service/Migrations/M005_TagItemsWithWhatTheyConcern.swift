import ConformStorage

/// An item's tags say two things apart: the requirements it is offered as evidence for
/// (`concerns`), and those it satisfied by itself when uploaded (`satisfies`). Items from
/// before were tagged with the first under the second's name; they keep that as `concerns`
/// and claim to satisfy nothing by themselves.
enum TagItemsWithWhatTheyConcern {
    static let migration = Migration(
        version: 5,
        name: "evidence items: what they concern",
        statements: [
            "ALTER TABLE evidence_items ADD COLUMN concerns text[] NOT NULL DEFAULT '{}'",
            // Items are immutable to the service; the migration fills the new column once.
            "ALTER TABLE evidence_items DISABLE TRIGGER evidence_items_immutable",
            // What an older item satisfied by itself was not recorded: it claims nothing now,
            // and the batch's compliance says what it satisfies.
            "UPDATE evidence_items SET concerns = satisfies, satisfies = '{}'",
            "ALTER TABLE evidence_items ENABLE TRIGGER evidence_items_immutable",
        ]
    )
}
